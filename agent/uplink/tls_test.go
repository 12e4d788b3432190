package uplink_test

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/axle-edge/axle/agent/uplink"
	"github.com/axle-edge/axle/agent/uplink/uplinktest"
)

// tlsSetup makes a CA, a broker certificate and a client certificate, and
// starts a TLS-only broker that requires client certificates.
func tlsSetup(t *testing.T) (b *uplinktest.Broker, ca *uplinktest.CA, clientCert, clientKey string) {
	dir := t.TempDir()
	ca = uplinktest.NewCA(t, dir, "axle-test-ca")
	srvCert, srvKey := ca.Issue(t, "broker", true)
	clientCert, clientKey = ca.Issue(t, "dev1", false)
	b = uplinktest.StartBroker(t, uplinktest.BrokerOptions{TLS: &uplinktest.BrokerTLS{
		CAFile: ca.CertFile, CertFile: srvCert, KeyFile: srvKey, RequireCertificate: true,
	}})
	return b, ca, clientCert, clientKey
}

func TestMutualTLS(t *testing.T) {
	b, ca, cert, key := tlsSetup(t)
	cfg := baseConfig(b.URL(), "dev1")
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = ca.CertFile, cert, key
	c, _ := start(t, cfg)
	waitConnected(t, c)
	tok, err := c.Publish(context.Background(), "axle/dev1/scores/m", 1, false, []byte("over tls"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := tok.Wait(ctx); err != nil {
		t.Fatalf("PUBACK over TLS: %v", err)
	}
}

func TestTLSRefusesServerFromWrongCA(t *testing.T) {
	b, _, cert, key := tlsSetup(t)
	other := uplinktest.NewCA(t, t.TempDir(), "some-other-ca")
	cfg := baseConfig(b.URL(), "dev1")
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = other.CertFile, cert, key
	c, rec := start(t, cfg)
	uplinktest.WaitFor(t, wait, "a failed attempt", func() bool { return rec.count(uplink.StateConnectFailed) >= 1 })
	ev := rec.eventsCopy()[0]
	var unknown x509.UnknownAuthorityError
	if !errors.As(ev.Err, &unknown) {
		t.Fatalf("error %v does not wrap x509.UnknownAuthorityError", ev.Err)
	}
	for _, want := range []string{"uplink: connect to " + b.URL(), "tls handshake", "certificate signed by unknown authority"} {
		if !strings.Contains(ev.Err.Error(), want) {
			t.Fatalf("error %q does not say %q", ev.Err, want)
		}
	}
	if c.Connected() || c.Stats().Connects != 0 {
		t.Fatal("connected to a broker whose certificate is from an untrusted CA")
	}
}

func TestTLSBrokerRequiresClientCertificate(t *testing.T) {
	b, ca, _, _ := tlsSetup(t)
	cfg := baseConfig(b.URL(), "dev1")
	cfg.CAFile = ca.CertFile
	c, rec := start(t, cfg)
	uplinktest.WaitFor(t, wait, "two failed attempts", func() bool { return rec.count(uplink.StateConnectFailed) >= 2 })
	if c.Stats().Connects != 0 {
		t.Fatal("connected without a client certificate")
	}
	t.Logf("refused as: %v", rec.eventsCopy()[0].Err)
}

func TestTLSConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	ca := uplinktest.NewCA(t, dir, "ca")
	cert, key := ca.Issue(t, "dev1", false)
	_, otherKey := ca.Issue(t, "dev2", false)
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name             string
		caf, certf, keyf string
		want             string
	}{
		{"ca without pem", junk, "", "", "holds no PEM certificate"},
		{"mismatched key", ca.CertFile, cert, otherKey, "CertFile/KeyFile"},
		{"key without cert", ca.CertFile, "", key, "KeyFile is set without CertFile"},
		{"missing cert", ca.CertFile, filepath.Join(dir, "nope.crt"), key, "CertFile/KeyFile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig("ssl://127.0.0.1:8883", "dev1")
			cfg.CAFile, cfg.CertFile, cfg.KeyFile = tc.caf, tc.certf, tc.keyf
			_, err := uplink.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
