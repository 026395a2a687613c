package central

import (
	"context"
	"errors"
	"testing"
)

// TestBesideNil: without central mode the watcher runs alone and its error comes back.
func TestBesideNil(t *testing.T) {
	want := errors.New("stopped")
	err := (*Central)(nil).Beside(context.Background(), 0, func(context.Context) error { return want })
	if !errors.Is(err, want) {
		t.Errorf("Beside = %v, want %v", err, want)
	}
}
