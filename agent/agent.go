package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/axle-edge/axle/agent/buffer"
	"github.com/axle-edge/axle/agent/cmdlog"
	"github.com/axle-edge/axle/agent/config"
	"github.com/axle-edge/axle/agent/delivery"
	"github.com/axle-edge/axle/agent/fleet"
	"github.com/axle-edge/axle/agent/monitor"
	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/firmware/artifact"
	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/store"
	"github.com/axle-edge/axle/sensors"
	"github.com/axle-edge/axle/sensors/quality"
	"github.com/axle-edge/axle/trust"
)

// Options are everything the agent needs besides its config.
type Options struct {
	Config  *config.Config
	Logger  *slog.Logger
	Drivers map[string]sensors.Opener
	Buses   sensors.Buses // nil when only buses-free drivers (sim, replay) are configured
	Runtime models.Runtime
	// Runtimes, when set, loads each model with the runtime and delegate
	// its config or manifest asks for (models/runtimes.Builtin()); nil
	// runs every model on Runtime.
	Runtimes RuntimeTable
	// BuiltinModels are the models a config names as "builtin:NAME", by
	// NAME; main hands in the demo model.
	BuiltinModels map[string][]byte
	Version       string

	// OnScore and OnEvent, when set, see every score and event as it is
	// committed (the demo prints them). They run on pipeline goroutines and
	// must not block.
	OnScore func(fleet.Score)
	OnEvent func(fleet.Event)
	// OnReady is called once sensors, models, outbox and uplink are set up.
	OnReady func()
	// Now is the clock for record times; nil means time.Now.
	Now func() time.Time
	// ModelPoll is how often the file of a model that failed to load is
	// checked for a change (then loaded again); default 5s.
	ModelPoll time.Duration
	// SpoolPoll is how often the offline install spool is checked;
	// default 1s.
	SpoolPoll time.Duration
	// Update enables agent.update and agent.rollback (see update.go).
	Update Update
}

const (
	defaultModelPoll = 5 * time.Second
	// eventQueueLen bounds events waiting for the event writer; more are
	// dropped and counted (events_dropped_total) rather than block a sensor.
	eventQueueLen = 256
)

// Agent is a running axle daemon.
type Agent struct {
	opts    Options
	cfg     *config.Config
	log     *slog.Logger
	now     func() time.Time
	topics  fleet.Topics
	started time.Time

	fallbacks fallbackLog // runtime fallbacks already logged

	out     *buffer.Outbox
	cmds    *cmdlog.Log    // handled command ids, kept until their expiry
	cmdKeys *trust.Keyring // trust.command_keys; nil: commands need no signature
	up      *uplink.Client
	deliver *delivery.Engine

	pipes     []*pipeline
	modelPoll time.Duration

	// Model deployment: the store under <state_dir>/models, the keys its
	// bundles must be signed with (nil: none trusted), the deployment of
	// each model in progress or on probation, and the goroutines running
	// them (jobs, waited for at stop).
	store             *store.Store
	modelKeys         *trust.Keyring
	password          string // the broker password, for artifact transfers
	deployMu          sync.Mutex
	deployments       map[*runner]*deployment
	jobs              sync.WaitGroup
	pendingProbations []pendingProbation // found at setup, watched by run
	spoolPoll         time.Duration
	// fetchTune, when set (tests), adjusts artifact transfers' timeouts.
	fetchTune func(*artifact.Options)

	// events queues events for eventLoop, so that nobody who reports one
	// (a sensor goroutine above all) waits for the outbox's fsync.
	events        chan fleet.Event
	eventsDropped atomic.Uint64
	// commitsStarted and commitsDone count outbox Appends, for the
	// watchdog's progress check; commitHook, when set (tests), runs inside
	// every commit before the Append, as a slow disk would.
	commitsStarted, commitsDone atomic.Uint64
	commitHook                  func()
	// deliveryErr is the last error that stopped delivery, until a
	// restarted delivery has run for a while; shown in the status.
	deliveryErr atomic.Pointer[string]
	// healthStall is how long a part may go without progress (see health);
	// healthy is housekeeping's last verdict, shown as a metric.
	healthStall time.Duration
	healthy     atomic.Bool

	metricsLn      net.Listener // local /metrics, nil when metrics.listen is empty
	observe        observeState // local HTTP API and ground truth (apisource.go, feedback.go)
	pendingAtClose int64        // records left in the outbox at shutdown, for the last log line

	mu         sync.Mutex
	appendErr  error  // last Append failure, reported once per episode
	stopReason string // set when a stop begins; the offline status carries it
	// appendErrors counts failed Appends; statusDirty asks housekeeping to
	// republish the retained status (storage state changed).
	appendErrors atomic.Uint64
	statusDirty  atomic.Bool

	upd  updates    // agent.update and agent.rollback jobs (update.go)
	live liveConfig // settings config.set changes (configset.go)
}

// Run starts the agent and blocks until ctx is cancelled (returns nil) or
// setup fails (returns the error).
func Run(ctx context.Context, opts Options) error {
	a, err := setup(ctx, opts)
	if err != nil {
		return err
	}
	return a.run(ctx)
}

func setup(ctx context.Context, opts Options) (_ *Agent, err error) {
	if opts.Config == nil || opts.Logger == nil || opts.Runtime == nil {
		return nil, errors.New("agent: Config, Logger and Runtime are required")
	}
	cfg := opts.Config
	// a is not the named result: every error return sets that to nil, and
	// the deferred cleanup must still see what was opened so far.
	a := &Agent{
		opts: opts, cfg: cfg, log: opts.Logger, now: opts.Now,
		topics:      fleet.Topics{Prefix: cfg.MQTT.Prefix, Device: cfg.Device},
		modelPoll:   opts.ModelPoll,
		spoolPoll:   opts.SpoolPoll,
		deployments: map[*runner]*deployment{},
		events:      make(chan fleet.Event, eventQueueLen),
		healthStall: healthStall,
		upd:         newUpdates(),
	}
	a.healthy.Store(true)
	if a.now == nil {
		a.now = time.Now
	}
	if a.modelPoll <= 0 {
		a.modelPoll = defaultModelPoll
	}
	if a.spoolPoll <= 0 {
		a.spoolPoll = time.Second
	}
	a.started = a.now()
	cfg = a.startOverrides(cfg)
	a.cfg = cfg
	defer func() {
		if err != nil {
			a.closeAll()
		}
	}()

	if err := os.MkdirAll(cfg.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("agent: state dir: %w", err)
	}
	dbPath := filepath.Join(cfg.StateDir, "outbox.db")
	a.out, err = buffer.Open(dbPath, buffer.Options{MaxBytes: int64(cfg.Outbox.MaxBytes), MaxAge: cfg.Outbox.MaxAge,
		ReserveBytes: int64(cfg.Outbox.ReserveBytes), MinFreeBytes: int64(cfg.Outbox.MinFreeBytes), Now: a.now})
	if err != nil {
		return nil, fmt.Errorf("agent: open outbox: %w", err)
	}
	if moved, cause := a.out.Recovered(); moved != "" {
		a.log.Error("outbox was unreadable; moved aside and started a new one", "path", dbPath, "moved_to", moved, "err", cause)
		a.event(fleet.EventOutbox, "critical", "outbox", "outbox database was unreadable and was moved aside", map[string]any{"moved_to": moved, "error": cause.Error()})
	}
	st := a.out.Stats()
	a.log.Info("outbox open", "path", dbPath, "records", st.Records, "bytes", st.Bytes, "last_seq", st.LastSeq)

	if err := a.openCommandLog(ctx); err != nil {
		return nil, err
	}

	if err := a.openModelStore(ctx); err != nil {
		return nil, err
	}
	if err := a.setupPipelines(ctx); err != nil {
		return nil, err
	}
	if err := a.openObserve(); err != nil {
		return nil, err
	}
	a.initLive()

	password := cfg.MQTT.Password
	if cfg.MQTT.PasswordFile != "" {
		b, err := os.ReadFile(cfg.MQTT.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("agent: mqtt.password_file: %w", err)
		}
		password = string(trimNewline(b))
	}
	a.password = password
	// The file's groups first: SetSubscriptions below then drops from the
	// broker's session those an override removed.
	subs := a.subscriptionsFor(opts.Config.MQTT.Groups)
	// The will is what the broker publishes when the agent vanishes; no
	// stop reason is set yet, so it reads fleet.ReasonLost.
	offline, _ := json.Marshal(a.status(fleet.StateOffline))
	a.up, err = uplink.New(uplink.Config{
		Broker: cfg.MQTT.Broker, ClientID: cfg.MQTT.ClientID,
		Username: cfg.MQTT.Username, Password: password,
		CAFile: cfg.MQTT.CAFile, CertFile: cfg.MQTT.CertFile, KeyFile: cfg.MQTT.KeyFile,
		KeepAlive: cfg.MQTT.KeepAlive, InFlight: cfg.MQTT.InFlight,
		WillTopic: a.topics.Status(), WillPayload: offline,
		OnlineTopic: a.topics.Status(),
		OnlinePayload: func() []byte {
			b, _ := json.Marshal(a.status(fleet.StateOnline))
			return b
		},
		// Published and acknowledged before the clean DISCONNECT of a stop.
		OfflinePayload: func() []byte {
			b, _ := json.Marshal(a.status(fleet.StateOffline))
			return b
		},
		Subscribe:   subs,
		OnConnEvent: a.logConn,
	})
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if err := a.up.SetSubscriptions(ctx, a.subscriptionsFor(cfg.MQTT.Groups)); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if addr := cfg.Metrics.Listen; addr != "" {
		if a.metricsLn, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("agent: metrics.listen: %w", err)
		}
	}
	a.deliver = delivery.New(a.out, a.up, delivery.Options{
		InFlight:   cfg.MQTT.InFlight,
		DrainRate:  cfg.MQTT.DrainRate,
		LiveWindow: cfg.MQTT.LiveWindow,
		Now:        a.now,
	})
	return a, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func (a *Agent) logConn(ev uplink.ConnEvent) {
	switch ev.State {
	case uplink.StateConnected:
		if ev.Err != nil {
			a.log.Warn("mqtt connected, but a command subscription was refused", "broker", a.cfg.MQTT.Broker, "err", ev.Err)
			return
		}
		a.log.Info("mqtt connected", "broker", a.cfg.MQTT.Broker)
	case uplink.StateDisconnected:
		a.log.Warn("mqtt connection lost", "broker", a.cfg.MQTT.Broker, "err", ev.Err, "retry_in", ev.Retry)
	case uplink.StateOfflineFailed:
		a.log.Warn("could not publish the offline status before disconnecting", "broker", a.cfg.MQTT.Broker, "err", ev.Err)
	case uplink.StateConnectFailed:
		// Every attempt of a long outage would flood the journal: log the
		// first few, then every 10th.
		if ev.Attempt <= 3 || ev.Attempt%10 == 0 {
			a.log.Warn("mqtt connect failed", "broker", a.cfg.MQTT.Broker, "attempt", ev.Attempt, "err", ev.Err, "retry_in", ev.Retry)
		}
	}
}

// run starts the goroutines and shuts them down in order when ctx ends.
func (a *Agent) run(ctx context.Context) error {
	// An update job ends the run through restart, with its cause (update.go).
	ctx, restart := context.WithCancelCause(ctx)
	defer restart(nil)
	sensCtx, stopSensors := context.WithCancel(context.WithoutCancel(ctx))
	netCtx, stopNet := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSensors()
	defer stopNet()

	var sensWG, pipeWG, netWG sync.WaitGroup
	for _, p := range a.pipes {
		sensWG.Go(func() { p.readLoop(sensCtx, a) })
		pipeWG.Go(func() { p.processLoop(sensCtx, a) })
	}
	netWG.Go(func() { a.supervise(netCtx, "mqtt uplink", restartBackoff(), a.up.Run, nil) })
	netWG.Go(func() { a.supervise(netCtx, "delivery", restartBackoff(), a.deliver.Run, a.setDeliveryErr) })
	netWG.Go(func() { a.eventLoop(netCtx) })
	netWG.Go(func() { a.watchModels(netCtx) })
	netWG.Go(func() { a.commandLoop(netCtx) })
	netWG.Go(func() { a.housekeeping(netCtx) })
	netWG.Go(func() { a.watchSpool(netCtx) })
	for _, pp := range a.pendingProbations {
		d, err := a.claim(pp.r, pp.version)
		if err != nil {
			continue
		}
		a.log.Info("model version still on probation after a restart; watching it again", "model", pp.r.cfg.Name, "version", pp.version)
		a.jobs.Go(func() { a.watchProbation(netCtx, pp.r, d, pp.lm, nil) })
	}
	a.pendingProbations = nil
	a.resumeDeployments(netCtx)
	netWG.Go(func() { a.updateLoop(netCtx, restart) })
	if a.metricsLn != nil {
		srv := &http.Server{Handler: monitor.Handler(a.snapshot), ReadHeaderTimeout: 5 * time.Second}
		netWG.Go(func() { srv.Serve(a.metricsLn) })
		netWG.Go(func() {
			<-netCtx.Done()
			srv.Close()
		})
		a.log.Info("serving metrics", "addr", a.metricsLn.Addr().String(), "path", "/metrics")
	}

	a.startObserve(netCtx, &netWG)

	a.log.Info("axle running", "device", a.cfg.Device, "version", a.opts.Version,
		"sensors", len(a.pipes), "broker", a.cfg.MQTT.Broker)
	if a.opts.OnReady != nil {
		a.opts.OnReady()
	}
	<-ctx.Done()

	reason := stopReason(ctx)
	a.mu.Lock()
	a.stopReason = reason
	a.mu.Unlock()
	a.log.Info("stopping: sensors first, then pipelines, delivery and uplink", "reason", reason)
	stopSensors()
	sensWG.Wait()
	pipeWG.Wait()
	// The uplink publishes the offline status (with the reason) and waits
	// for its PUBACK before its clean DISCONNECT.
	stopNet()
	netWG.Wait()
	a.jobs.Wait()
	a.drainEvents()
	a.closeAll()
	a.log.Info("stopped", "pending_records", a.pendingAtClose)
	return a.afterRun(context.Cause(ctx))
}

// stopReason is the offline status's reason for a stop through ctx: its
// cause when one was given (os/signal names the signal), else "stopped".
func stopReason(ctx context.Context) string {
	cause := context.Cause(ctx)
	if cause == nil || cause == context.Canceled {
		return "stopped"
	}
	return "stopped: " + cause.Error()
}

// supervise runs fn until ctx ends, restarting it with backoff whenever it
// returns an error, so a failure (a full disk failing an Ack) never ends
// delivery or the uplink for good. The first failure of an episode is
// logged as an error, restarts within it at debug level; a run that lasts
// past the longest backoff ends the episode. onErr, when set, sees each
// error and nil when an episode ends.
func (a *Agent) supervise(ctx context.Context, name string, b quality.Backoff, fn func(context.Context) error, onErr func(error)) {
	attempt := 0
	for ctx.Err() == nil {
		began := time.Now()
		err := fn(ctx)
		if ctx.Err() != nil {
			return
		}
		if attempt > 0 && time.Since(began) >= b.Max {
			attempt = 0
			a.log.Info(name + " running again after a failure")
			if onErr != nil {
				onErr(nil)
			}
		}
		if err == nil {
			err = fmt.Errorf("%s returned before the stop", name)
		}
		wait := b.Delay(attempt, rand.Float64())
		if attempt == 0 {
			a.log.Error(name+" failed; restarting with backoff", "err", err, "retry_in", wait)
		} else {
			a.log.Debug(name+" failed again", "err", err, "attempt", attempt+1, "retry_in", wait)
		}
		if onErr != nil {
			onErr(err)
		}
		attempt++
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// restartBackoff paces supervised restarts: 1 s doubling to 30 s, ±20 %.
func restartBackoff() quality.Backoff {
	return quality.Backoff{Min: time.Second, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}
}

// setDeliveryErr records why delivery stopped (nil: it runs again) and asks
// for a status update when that changes.
func (a *Agent) setDeliveryErr(err error) {
	if err == nil {
		if a.deliveryErr.Swap(nil) != nil {
			a.statusDirty.Store(true)
		}
		return
	}
	msg := err.Error()
	if old := a.deliveryErr.Swap(&msg); old == nil || *old != msg {
		a.statusDirty.Store(true)
	}
}

func (a *Agent) closeAll() {
	if a.metricsLn != nil {
		a.metricsLn.Close()
	}
	a.closeObserve()
	for _, p := range a.pipes {
		p.close(a)
	}
	if a.up != nil {
		a.up.Close()
	}
	if a.cmds != nil {
		if err := a.cmds.Close(); err != nil {
			a.log.Error("closing command log", "err", err)
		}
	}
	if a.out != nil {
		a.pendingAtClose = a.out.Stats().Records
		if err := a.out.Close(); err != nil {
			a.log.Error("closing outbox", "err", err)
		}
	}
}

func (a *Agent) status(state string) fleet.Status {
	s := fleet.Status{V: fleet.Version, Device: a.cfg.Device, State: state, Agent: a.opts.Version,
		StartedAt: a.started, TS: a.now().UTC(), Groups: a.currentGroups()}
	if a.out != nil {
		n := a.out.Stats().Records
		s.Backlog = &n
	}
	a.mu.Lock()
	if a.appendErr != nil {
		s.Storage = a.appendErr.Error()
	}
	if state == fleet.StateOffline {
		s.Reason = a.stopReason
		if s.Reason == "" {
			s.Reason = fleet.ReasonLost
		}
	}
	a.mu.Unlock()
	if d := a.deliveryErr.Load(); d != nil && s.Storage == "" {
		s.Storage = *d
	}
	if s.Storage == "" && a.out != nil && a.out.Stats().DiskFull {
		s.Storage = "disk full: acks commit from the reserve; new results are stored while space allows, oldest scores dropped first"
	}
	for _, p := range a.pipes {
		s.Sensors = append(s.Sensors, p.spec.Name)
		for _, r := range p.runners {
			cur := r.Current()
			rt, del := a.opts.Runtime.Name(), ""
			if u := r.runtimeUsed(); u.Runtime != "" {
				rt, del = u.Runtime, u.Delegate
			}
			s.Models = append(s.Models, fleet.ModelStatus{Name: r.cfg.Name, Version: cur.Version, Previous: cur.Previous,
				Runtime: rt, Delegate: del, State: cur.State, Error: cur.Err, Gate: cur.Gate, Deployment: r.deploying.Load(), Shadow: r.shadowStatus()})
		}
	}
	return s
}

// commit appends records to the outbox and wakes the delivery engine. A
// failure (disk full) is logged once per episode; sensing goes on.
func (a *Agent) commit(ctx context.Context, recs []buffer.Record) error {
	a.commitsStarted.Add(1)
	if a.commitHook != nil {
		a.commitHook()
	}
	err := a.out.Append(ctx, recs)
	a.commitsDone.Add(1)
	a.mu.Lock()
	prev := a.appendErr
	a.appendErr = err
	a.mu.Unlock()
	if err != nil {
		a.appendErrors.Add(1)
	}
	switch {
	case err != nil && prev == nil:
		// The outbox cannot hold an event about itself: the retained
		// status carries the condition until storage recovers.
		a.log.Error("cannot store results; sensing continues, results are lost until storage recovers", "err", err)
		a.statusDirty.Store(true)
	case err == nil && prev != nil:
		a.log.Info("storage recovered", "after", prev.Error())
		a.statusDirty.Store(true)
		a.event(fleet.EventStorage, "warning", "outbox", "storage recovered after a write failure: "+prev.Error(), nil)
	}
	if err == nil && a.deliver != nil {
		a.deliver.Notify()
	}
	return err
}

// event queues an event for eventLoop and returns at once: it is called on
// sensor goroutines, which must never wait for the disk. A full queue drops
// the event and counts it (reported by housekeeping).
func (a *Agent) event(kind, severity, source, msg string, data map[string]any) {
	ev := fleet.Event{V: fleet.Version, TS: a.now().UTC(), Kind: kind, Severity: severity, Source: source, Message: msg, Data: data}
	select {
	case a.events <- ev:
	default:
		a.eventsDropped.Add(1)
	}
}

// eventLoop writes queued events to the outbox until ctx ends.
func (a *Agent) eventLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-a.events:
			a.storeEvent(ev)
		}
	}
}

// drainEvents stores what is still queued; run calls it once every
// goroutine that reports events has stopped, before the outbox closes.
func (a *Agent) drainEvents() {
	for {
		select {
		case ev := <-a.events:
			a.storeEvent(ev)
		default:
			return
		}
	}
}

// storeEvent commits one event and shows it to OnEvent.
func (a *Agent) storeEvent(ev fleet.Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		a.log.Error("encoding event", "kind", ev.Kind, "err", err)
		return
	}
	if err := a.commit(context.Background(), []buffer.Record{{Class: buffer.ClassEvent, Topic: a.topics.Events(), Time: ev.TS, Payload: b}}); err == nil && a.opts.OnEvent != nil {
		a.opts.OnEvent(ev)
	}
}
