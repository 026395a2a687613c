package main

import (
	"testing"
	"time"

	"github.com/monoco/courier/delivery"
)

// TestWatchProvidersReportWaits: every provider hands the watcher its own throttle wait and rate
// (the adapter's defaults when the section sets none), and the file provider is there unconfigured.
func TestWatchProvidersReportWaits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir+"/courier.yaml", "providers:\n"+
		"  dingtalk: {webhook: \"https://dingtalk.example.invalid/robot/send?access_token=${T}\"}\n"+
		"  wecom: {webhook: \"https://wecom.example.invalid/cgi-bin/webhook/send?key=${T}\", rate: 3/s, throttle_wait: 7s}\n")
	getenv := func(string) string { return "tok-0123456789" }
	cfg, err := loadConfig(dir+"/courier.yaml", true, dir, getenv)
	if err != nil {
		t.Fatal(err)
	}
	dc, _, err := cfg.Watcher(getenv, nil)
	provs := dc.Providers
	if err != nil {
		t.Fatal(err)
	}
	rate := func(s string) delivery.Rate {
		r, err := delivery.ParseRate(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for name, want := range map[string]delivery.Provider{
		"dingtalk": {Rate: rate("20/min"), ThrottleWait: 10 * time.Minute},
		"wecom":    {Rate: rate("3/s"), ThrottleWait: 7 * time.Second},
		"file":     {ThrottleWait: time.Minute},
	} {
		got, ok := provs[name]
		if !ok {
			t.Errorf("%s: not built", name)
			continue
		}
		if got.Rate != want.Rate || got.ThrottleWait != want.ThrottleWait {
			t.Errorf("%s: rate %v, wait %v; want %v, %v", name, got.Rate, got.ThrottleWait, want.Rate, want.ThrottleWait)
		}
	}
	if len(provs) != 3 {
		t.Errorf("built %d providers, want 3", len(provs))
	}
}
