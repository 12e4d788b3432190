package main

// Key and bundle tools: axle keygen and axle model pack|sign|verify|inspect.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/bundle"
	"github.com/axle-edge/axle/models/tflite"
	"github.com/axle-edge/axle/trust"
)

// isBundleCommand says whether `axle model <name>` is a bundle tool.
func isBundleCommand(name string) bool {
	return slices.Contains([]string{"pack", "sign", "verify", "inspect"}, name)
}

// bundleCommand runs `axle model pack|sign|verify|inspect`; it returns the
// exit status: 0 success, 1 failure, 2 usage error.
func bundleCommand(args []string, stdout, stderr io.Writer) int {
	var err error
	switch args[0] {
	case "pack":
		err = bundlePack(args[1:], stderr)
	case "sign":
		err = bundleSign(args[1:], stderr)
	case "verify":
		err = bundleVerify(args[1:], stdout, stderr)
	case "inspect":
		err = bundleInspect(args[1:], stdout, stderr)
	}
	return exitStatus("axle model "+args[0], err, stderr)
}

func exitStatus(prefix string, err error, stderr io.Writer) int {
	var ue modelUsageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return 2
	default:
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return 1
	}
}

// keygenCommand implements `axle keygen [-W] [-f] -p key.pub -s key.key`.
func keygenCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("axle keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pubPath := fs.String("p", "axle.pub", "public key file to write")
	secPath := fs.String("s", "axle.key", "secret key file to write (mode 0600)")
	noPass := fs.Bool("W", false, "do not encrypt the secret key (as minisign -W)")
	force := fs.Bool("f", false, "overwrite existing key files")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: axle keygen [-W] [-f] -p KEY.pub -s KEY.key\n\nMakes an Ed25519 key pair in minisign's formats. Without -W the password is\nread from the first line of standard input and the key is encrypted as\nminisign does (scrypt, 1 GiB).\n\n")
		fs.PrintDefaults()
	}
	err := func() error {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return modelUsageError{err.Error()}
		}
		if fs.NArg() > 0 {
			return modelUsageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
		for _, p := range []string{*pubPath, *secPath} {
			if _, err := os.Stat(p); err == nil && !*force {
				return fmt.Errorf("%s exists; use -f to overwrite", p)
			}
		}
		password := ""
		if !*noPass {
			var err error
			if password, err = readPassword(); err != nil {
				return err
			}
		}
		pub, sec, err := trust.GenerateKey()
		if err != nil {
			return err
		}
		sb, err := trust.MarshalSecretKey(sec, password)
		if err != nil {
			return err
		}
		pb, _ := pub.MarshalText()
		if err := writeFileAtomic(*secPath, 0o600, bytesWriter(sb)); err != nil {
			return err
		}
		if err := writeFileAtomic(*pubPath, 0o644, bytesWriter(pb)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key id %s\npublic key %s (%s)\nsecret key %s\n", pub.ID(), *pubPath, pub.String(), *secPath)
		return nil
	}()
	return exitStatus("axle keygen", err, stderr)
}

// readPassword reads one line of standard input: the password of a secret
// key. An empty password is refused: use -W for an unencrypted key.
func readPassword() (string, error) {
	line, err := bufio.NewReader(io.LimitReader(os.Stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input (use -W for an unencrypted key)")
	}
	return line, nil
}

func bundlePack(args []string, stderr io.Writer) error {
	fs := modelFlags("pack", "pack --manifest M.json --model X.tflite [--extra FILE ...] -o OUT.axb", stderr)
	manifestPath := fs.String("manifest", "", "manifest JSON without members (required)")
	modelPath := fs.String("model", "", ".tflite file (required)")
	out := fs.String("o", "", "bundle file to write (required)")
	name := fs.String("name", "", "override the manifest's name")
	ver := fs.String("version", "", "override the manifest's version")
	desc := fs.String("description", "", "override the manifest's description")
	var extras modelStrings
	fs.Var(&extras, "extra", "extra member (labels, test vector input); repeatable; stored under its base name")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || *manifestPath == "" || *modelPath == "" || *out == "" {
		return modelUsageError{"want --manifest, --model and -o and no other arguments"}
	}
	raw, err := readLimited(*manifestPath, bundle.MaxManifestBytes)
	if err != nil {
		return err
	}
	m, err := bundle.DecodeDraft(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *manifestPath, err)
	}
	if m.V == 0 {
		m.V = bundle.ManifestVersion
	}
	for flagVal, field := range map[string]*string{*name: &m.Name, *ver: &m.Version, *desc: &m.Description} {
		if flagVal != "" {
			*field = flagVal
		}
	}
	if m.Created.IsZero() {
		m.Created = time.Now().UTC().Truncate(time.Second)
	}
	modelData, err := readLimited(*modelPath, 256<<20)
	if err != nil {
		return err
	}
	if len(m.Runtime.Ops) == 0 || m.Runtime.ArenaBytes == 0 {
		if err := deriveRuntime(m, modelData); err != nil {
			return fmt.Errorf("%s: %w", *modelPath, err)
		}
	}
	files := make([]bundle.File, 0, len(extras))
	for _, p := range extras {
		data, err := readLimited(p, 256<<20)
		if err != nil {
			return err
		}
		files = append(files, bundle.File{Name: filepath.Base(p), Data: data})
	}
	return writeFileAtomic(*out, 0o644, func(w io.Writer) error {
		_, err := bundle.Pack(w, m, bundle.File{Name: filepath.Base(*modelPath), Data: modelData}, files...)
		return err
	})
}

// deriveRuntime fills in the ops and arena size by loading the model with
// the pure-Go runtime.
func deriveRuntime(m *bundle.Manifest, model []byte) error {
	it, err := tflite.Load(model, models.Options{})
	if err != nil {
		return fmt.Errorf("cannot derive runtime.ops and runtime.arena_bytes (give them in the manifest): %w", err)
	}
	defer it.Close()
	if len(m.Runtime.Ops) == 0 {
		for _, o := range it.Ops() {
			if !slices.Contains(m.Runtime.Ops, o.Name) {
				m.Runtime.Ops = append(m.Runtime.Ops, o.Name)
			}
		}
		slices.Sort(m.Runtime.Ops)
	}
	if m.Runtime.ArenaBytes == 0 {
		m.Runtime.ArenaBytes = it.ArenaBytes()
	}
	return nil
}

func openBundle(path string) (*bundle.Bundle, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	b, err := bundle.Open(f, st.Size(), bundle.Limits{})
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, f, nil
}

func bundleSign(args []string, stderr io.Writer) error {
	fs := modelFlags("sign", "sign -s KEY BUNDLE [-o OUT]", stderr)
	keyPath := fs.String("s", "", "secret key file (required); an encrypted key's password is read from stdin")
	out := fs.String("o", "", "write the signed bundle here instead of replacing BUNDLE")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if *keyPath == "" {
		return modelUsageError{"-s KEY is required"}
	}
	keyText, err := readLimited(*keyPath, 4096)
	if err != nil {
		return err
	}
	sec, err := trust.ParseSecretKey(keyText, "")
	if errors.Is(err, trust.ErrNeedPassword) {
		password, perr := readPassword()
		if perr != nil {
			return perr
		}
		sec, err = trust.ParseSecretKey(keyText, password)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *keyPath, err)
	}
	b, f, err := openBundle(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := b.Sign(sec); err != nil {
		return err
	}
	dst := path
	if *out != "" {
		dst = *out
	}
	return writeFileAtomic(dst, 0o644, func(w io.Writer) error {
		_, err := b.WriteTo(w)
		return err
	})
}

func bundleVerify(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("verify", "verify -p KEY.pub [-p KEY2.pub ...] BUNDLE", stderr)
	var keys modelStrings
	fs.Var(&keys, "p", "trusted public key: a file or the RW... string; repeatable")
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return modelUsageError{"at least one -p KEY is required"}
	}
	kr, err := trust.ParseKeyring(keys)
	if err != nil {
		return err
	}
	b, f, err := openBundle(path)
	if err != nil {
		return err
	}
	defer f.Close()
	id, err := b.Verify(kr)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s: ok: %s %s, %d members, signed by key %s\n", path, b.Manifest.Name, b.Manifest.Version, len(b.Manifest.Members), id)
	return nil
}

func bundleInspect(args []string, stdout, stderr io.Writer) error {
	fs := modelFlags("inspect", "inspect BUNDLE", stderr)
	pos, err := modelParse(fs, args)
	if err != nil {
		return err
	}
	path, err := modelOne(pos)
	if err != nil {
		return err
	}
	b, f, err := openBundle(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m := b.Manifest
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "bundle\t%s\n", path)
	fmt.Fprintf(tw, "model\t%s %s (%s)\n", m.Name, m.Version, m.Model)
	fmt.Fprintf(tw, "created\t%s\n", m.Created.Format(time.RFC3339))
	if b.Signature == nil {
		fmt.Fprintf(tw, "signature\tnone\n")
	} else if s, err := trust.ParseSignature(b.Signature); err != nil {
		fmt.Fprintf(tw, "signature\tmalformed: %v\n", err)
	} else {
		fmt.Fprintf(tw, "signature\tkey %s, trusted comment %q (not verified: use axle model verify)\n", s.KeyID, s.TrustedComment)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nmembers")
	tw = tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tSIZE\tSHA256")
	for _, mb := range m.Members {
		fmt.Fprintf(tw, "  %s\t%d\t%s\n", mb.Name, mb.Size, mb.SHA256)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nmanifest")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, b.RawManifest, "", "  "); err != nil {
		return err
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

func bytesWriter(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// writeFileAtomic writes path through a temporary file in the same
// directory: write, fsync, rename, fsync the directory, so a crash leaves
// either the old file or the complete new one.
func writeFileAtomic(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
