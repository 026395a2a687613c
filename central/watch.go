package central

import (
	"context"
	"sync"
	"time"
)

// Beside runs run (the watcher) with the fetch loop (Run, every interval) beside it until run
// returns, and waits for both. A nil Central runs run alone.
func (c *Central) Beside(ctx context.Context, interval time.Duration, run func(context.Context) error) error {
	if c == nil {
		return run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.Run(ctx, interval)
	}()
	err := run(ctx)
	cancel()
	wg.Wait()
	return err
}

// Counts is Fetch as the watcher's API reports it (delivery.Config.Fetch).
func (c *Central) Counts(ctx context.Context) (delivered, invalid int, err error) {
	res, err := c.Fetch(ctx)
	return res.Delivered, res.Invalid, err
}
