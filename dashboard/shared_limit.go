package dashboard

import (
	"context"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// sharedLimit is a rate limit kept in the database (PostgreSQL), so
// that instances behind one load balancer count one client's uses
// together: n per window per identifier (the client address).
type sharedLimit struct {
	store  *metrics.Store
	key    string
	n      int
	window time.Duration
}

// Allow is echo's RateLimiterStore; a database error refuses.
func (l sharedLimit) Allow(id string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return l.store.AllowHit(ctx, l.key+":"+id, l.n, l.window, time.Now())
}
