package team

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A tls:// URL connects with TLS, the server's certificate verified
// against the system's roots (here a test CA given through SSL_CERT_FILE,
// as an operator would add theirs; Go reads it at the first verification
// in the process, and no other test here verifies a certificate).
func TestTLSURL(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kycwatch test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	t.Setenv("SSL_CERT_FILE", caFile) // read once, at the first verification in this process
	t.Setenv("SSL_CERT_DIR", dir)

	token := NewToken()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, Authorization: token, JetStream: true,
		StoreDir: filepath.Join(dir, "js"), NoLog: true, NoSigs: true,
		TLSConfig:  &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		TLSTimeout: 2})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("TLS server did not start")
	}
	addr := ns.Addr().String()
	a := newInstance(t, "alpha", filepath.Join(dir, "a.db"))
	p, _ := a.publish(t, Dial{URLs: []string{"tls://" + token + "@" + addr}}, 1)
	a.receive(t, 3)
	waitFor(t, "3 acknowledged over TLS", func() bool { return p.Acked() == 3 })

}
