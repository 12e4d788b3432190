package artifact

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/axle-edge/axle/agent/uplink"
)

// Kind is where an artifact comes from.
type Kind string

const (
	KindMQTT  Kind = "mqtt"
	KindHTTPS Kind = "https"
)

// Source says where to fetch from.
type Source struct {
	Kind Kind
	// MQTT is the connection template (broker, TLS, credentials). Its
	// ClientID must be dedicated to the transfer (e.g. "<device>-fetch"),
	// not the agent's own; Subscribe and MessageBuffer are set here.
	MQTT uplink.Config
	// Prefix is the topic prefix of KindMQTT; default "axle".
	Prefix string

	// URL is the https:// address of KindHTTPS.
	URL string
	// CAFile holds PEM roots that verify the server; SystemRoots adds the
	// system's. At least one of them is needed.
	CAFile      string
	SystemRoots bool
}

// Want identifies the artifact: the command gives both, and both are
// checked against what arrives.
type Want struct {
	SHA256 string // 64 lowercase hex digits
	Size   int64
}

// Progress is reported after every verified chunk (MQTT) or every write of
// a response body (HTTPS). Rate-limit in the callback, not here.
type Progress struct {
	Done, Total int64 // bytes verified (MQTT) or written (HTTPS), artifact size
	// ChunksDone and Chunks count MQTT chunks; zero for HTTPS.
	ChunksDone, Chunks int
	// Received counts chunk messages received by this Fetch call,
	// duplicates included: a resumed fetch receives only what was missing.
	Received int
}

// Options tune a fetch. Dir and MaxSize are required.
type Options struct {
	// Dir is the work directory: <sha>.part and its sidecar while
	// fetching, <sha> when done. One Fetch per artifact at a time.
	Dir string
	// MaxSize refuses larger artifacts before anything is fetched.
	MaxSize int64
	// Progress, when set, is called on the fetching goroutine.
	Progress func(Progress)

	// MetaTimeout bounds the wait for the retained meta once subscribed;
	// default 30s.
	MetaTimeout time.Duration
	// ChunkTimeout is how long a request for chunks may go without a new
	// one arriving while connected before the missing ones are requested
	// again; default 10s.
	ChunkTimeout time.Duration
	// Requests is how many requests in a row may bring nothing before the
	// fetch fails naming the first missing chunk; default 3.
	Requests int
	// Window is how many chunks are requested at once (and so the most
	// held in memory); default 16.
	Window int
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Dir == "":
		return o, errors.New("artifact: options: Dir is empty")
	case o.MaxSize <= 0:
		return o, fmt.Errorf("artifact: options: MaxSize %d must be positive", o.MaxSize)
	case o.MetaTimeout < 0 || o.ChunkTimeout < 0 || o.Requests < 0 || o.Window < 0:
		return o, errors.New("artifact: options: MetaTimeout, ChunkTimeout, Requests and Window must not be negative")
	}
	if o.MetaTimeout == 0 {
		o.MetaTimeout = 30 * time.Second
	}
	if o.ChunkTimeout == 0 {
		o.ChunkTimeout = 10 * time.Second
	}
	if o.Requests == 0 {
		o.Requests = 3
	}
	if o.Window == 0 {
		o.Window = 16
	}
	return o, nil
}

// Fetch brings the artifact want from src into opts.Dir and returns the
// path of the complete, verified file <Dir>/<sha256>. It resumes from what
// an earlier Fetch left in Dir. Errors name the step: options, size limit,
// meta, chunk n, http status, size, hash.
func Fetch(ctx context.Context, src Source, want Want, opts Options) (string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	if !isSHA256(want.SHA256) {
		return "", fmt.Errorf("artifact: want: sha256 %q is not 64 lowercase hex digits", clip(want.SHA256))
	}
	if want.Size <= 0 {
		return "", fmt.Errorf("artifact: want: size %d must be positive", want.Size)
	}
	if want.Size > o.MaxSize {
		return "", fmt.Errorf("artifact: size limit: artifact is %d bytes, limit %d", want.Size, o.MaxSize)
	}
	dst := filepath.Join(o.Dir, want.SHA256)
	if _, err := os.Stat(dst); err == nil {
		if err := checkFile(dst, want.SHA256, want.Size); err == nil {
			return dst, nil
		}
		// A damaged earlier result is fetched again.
		if err := os.Remove(dst); err != nil {
			return "", fmt.Errorf("artifact: remove damaged %s: %w", dst, err)
		}
	}
	switch src.Kind {
	case KindMQTT:
		return fetchMQTT(ctx, src, want, o)
	case KindHTTPS:
		return fetchHTTPS(ctx, src, want, o)
	}
	return "", fmt.Errorf("artifact: source: kind %q is not mqtt or https", src.Kind)
}
