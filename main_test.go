package main

import (
	"io"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10MiB": 10 << 20, "512KiB": 512 << 10, "1MB": 1e6, "65536": 65536, "2 GiB": 2 << 30, "100b": 100} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "0", "ten", "1.5MiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("VERIFF_SHARED_SECRET", "env-a, env-b")
	t.Setenv("VERIFF_API_KEY", "env-key")
	t.Setenv("VERIFIME_WEBHOOK_SECRET", "vm")
	t.Setenv("KYCWATCH_DB", "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	c, err := parseFlags([]string{"--secret", "flag-a", "--secret", "flag-b", "--max-body", "1MiB", "--headless", "--no-tunnel"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.keys.VeriffSecrets; len(got) != 4 || got[0] != "env-a" || got[1] != "env-b" || got[3] != "flag-b" {
		t.Fatalf("secrets %v", got)
	}
	if c.keys.VeriffAPIKey != "env-key" || len(c.keys.VerifiMeSecrets) != 1 || c.maxBody != 1<<20 || !c.headless || !c.noTunnel {
		t.Fatalf("%+v", c)
	}
	if c.db == "" || c.logPath == "" {
		t.Fatalf("no default paths: %+v", c)
	}
	c, _ = parseFlags([]string{"--api-key", "flag-key", "--db", "/x/k.db"}, io.Discard)
	if c.keys.VeriffAPIKey != "flag-key" || c.db != "/x/k.db" || c.logPath != "/x/kycwatch.log" {
		t.Fatalf("%+v", c)
	}
	if _, err := parseFlags([]string{"stray"}, io.Discard); err == nil {
		t.Fatal("stray argument accepted")
	}
}
