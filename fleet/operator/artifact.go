package operator

import (
	"context"
	"fmt"
	"io"

	"github.com/axle-edge/axle/firmware/artifact"
)

// EnsureArtifact publishes the size bytes of r (whose sha256 is sha) as a
// retained artifact unless the broker holds it already; published reports
// which. o.Progress, when set, gets the bytes acknowledged so far.
func (c *Client) EnsureArtifact(ctx context.Context, sha string, r io.ReaderAt, size int64, o artifact.PublishOptions) (m artifact.Meta, published bool, err error) {
	tmpl := c.cfg.MQTT
	tmpl.ClientID += "-exists"
	tmpl.Subscribe = nil
	m, ok, err := artifact.Exists(ctx, tmpl, c.prefix, sha)
	if err != nil {
		return artifact.Meta{}, false, fmt.Errorf("operator: %w", err)
	}
	if ok && m.Size == size {
		return m, false, nil
	}
	m, err = artifact.Publish(ctx, c.cl, c.prefix, r, size, o)
	if err != nil {
		return artifact.Meta{}, false, fmt.Errorf("operator: %w", err)
	}
	if m.SHA256 != sha {
		return m, true, fmt.Errorf("operator: published artifact has sha256 %s, expected %s: the file changed while it was read", m.SHA256, sha)
	}
	return m, true, nil
}
