package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/axle-edge/axle/agent/fleet"
)

// The offline install spool, <state_dir>/spool: `axle model install`
// writes <spool>/.<name>.axb.tmp, fsyncs it and renames it to
// <spool>/<name>.axb. The agent picks up every .axb, deploys it with the
// same checks as model.deploy (the model is the one whose bundle name the
// manifest carries), writes <spool>/<name>.result.json atomically (the
// JSON of a command result) and moves the bundle to <spool>/done/.

// watchSpool processes spooled bundles, one at a time, until ctx ends.
func (a *Agent) watchSpool(ctx context.Context) {
	dir := filepath.Join(a.cfg.StateDir, "spool")
	if err := os.MkdirAll(filepath.Join(dir, "done"), 0o750); err != nil {
		a.log.Error("offline install spool unavailable", "dir", dir, "err", err)
		return
	}
	tick := time.NewTicker(a.spoolPoll)
	defer tick.Stop()
	for {
		ents, err := os.ReadDir(dir)
		if err != nil {
			a.log.Error("reading the offline install spool", "dir", dir, "err", err)
		}
		var names []string
		for _, e := range ents {
			n := e.Name()
			if e.Type().IsRegular() && strings.HasSuffix(n, ".axb") && !strings.HasPrefix(n, ".") {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			if ctx.Err() != nil {
				return
			}
			a.spoolOne(ctx, dir, n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// spoolOne deploys one spooled bundle and answers it.
func (a *Agent) spoolOne(ctx context.Context, dir, name string) {
	path := filepath.Join(dir, name)
	base := strings.TrimSuffix(name, ".axb")
	a.log.Info("offline install: bundle found", "file", path)
	res := fleet.Result{V: fleet.Version, ID: "spool:" + base}
	r, d, in, err := a.spoolTarget(path)
	var lm, prev *loadedModel
	if err == nil {
		var out map[string]any
		out, lm, prev, err = a.deploy(ctx, r, d, in)
		res.Result = out
		if err != nil {
			a.release(r, d)
		}
	}
	if ctx.Err() != nil && err != nil {
		return // stopping: the bundle stays for the next start
	}
	res.Status, res.TS = fleet.ResultDone, a.now().UTC()
	if err != nil {
		res.Status, res.Error = fleet.ResultFailed, err.Error()
	}
	b, _ := json.Marshal(res)
	if werr := writeFileAtomic(filepath.Join(dir, base+".result.json"), b); werr != nil {
		a.log.Error("offline install: writing the result", "file", path, "err", werr)
	}
	if merr := os.Rename(path, filepath.Join(dir, "done", name)); merr != nil {
		a.log.Error("offline install: moving the bundle to done/", "file", path, "err", merr)
		os.Remove(path)
	}
	syncDir(dir)
	if err == nil {
		a.jobs.Go(func() { a.watchProbation(ctx, r, d, lm, prev) })
	}
}

// spoolTarget finds the model a spooled bundle is for, from its manifest
// (read unverified here; deploy verifies it), and claims it.
func (a *Agent) spoolTarget(path string) (*runner, *deployment, deployInput, error) {
	vb, err := a.openBundle(path)
	if err != nil {
		return nil, nil, deployInput{}, failAt(stepVerify, err)
	}
	vb.f.Close()
	m := vb.b.Manifest
	for _, r := range a.runners() {
		if storeName(r.cfg) != m.Name {
			continue
		}
		d, err := a.claim(r, m.Version)
		if err != nil {
			return nil, nil, deployInput{}, failAt(stepInstall, err)
		}
		return r, d, deployInput{version: m.Version, path: path, probation: a.cfg.Probation}, nil
	}
	return nil, nil, deployInput{}, failAt(stepVerify, fmt.Errorf("bundle is model %q, which no configured model uses", m.Name))
}

// writeFileAtomic writes path by temp file, fsync, rename and fsync of
// the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
