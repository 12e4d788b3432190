package firmware

import (
	"errors"
	"fmt"
	"io"

	"github.com/minio/selfupdate"
)

// bsdiffHeaderLen is the fixed header of a BSDIFF40 patch: magic, then the
// compressed control and diff block lengths and the new file's size, each
// a sign-magnitude little-endian int64.
const bsdiffHeaderLen = 32

// bsdiffHeader is the parsed header of a BSDIFF40 patch.
type bsdiffHeader struct {
	CtrlLen, DiffLen, NewSize int64
}

// parseBsdiffHeader checks a patch header before selfupdate's patcher
// allocates the block and output sizes it names: the blocks must fit in
// the patch file and the output must be the size the command announced.
func parseBsdiffHeader(hdr []byte, patchSize, wantSize int64) (bsdiffHeader, error) {
	var h bsdiffHeader
	if len(hdr) < bsdiffHeaderLen {
		return h, fmt.Errorf("header is %d bytes, want %d", len(hdr), bsdiffHeaderLen)
	}
	if string(hdr[:8]) != "BSDIFF40" {
		return h, fmt.Errorf("magic %q, want \"BSDIFF40\"", hdr[:8])
	}
	h.CtrlLen = signMag(hdr[8:16])
	h.DiffLen = signMag(hdr[16:24])
	h.NewSize = signMag(hdr[24:32])
	body := patchSize - bsdiffHeaderLen
	switch {
	case h.CtrlLen < 0 || h.CtrlLen > body:
		return h, fmt.Errorf("control block length %d outside the %d bytes after the header", h.CtrlLen, body)
	case h.DiffLen < 0 || h.DiffLen > body-h.CtrlLen:
		return h, fmt.Errorf("diff block length %d outside the %d bytes after the control block", h.DiffLen, body-h.CtrlLen)
	case h.NewSize != wantSize:
		return h, fmt.Errorf("patch makes %d bytes, command says %d", h.NewSize, wantSize)
	}
	return h, nil
}

func signMag(b []byte) int64 {
	var v int64
	for i := 6; i >= 0; i-- {
		v = v<<8 | int64(b[i])
	}
	v |= int64(b[7]&0x7f) << 56
	if b[7]&0x80 != 0 {
		v = -v
	}
	return v
}

// safePatcher runs selfupdate's bsdiff patcher but turns a panic into an
// error: its control loop slices with lengths taken from the patch, and a
// crafted negative length would otherwise take the agent down.
type safePatcher struct{ p selfupdate.Patcher }

func (s safePatcher) Patch(old io.Reader, new io.Writer, patch io.Reader) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt patch: %v", r)
		}
	}()
	err = s.p.Patch(old, new, patch)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("truncated patch: %w", err)
	}
	return err
}
