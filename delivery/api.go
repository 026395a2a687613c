package delivery

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monoco/courier/delivery/mailbox"
)

// Serve serves Handler(token) on ln until stop is called; with no listener (nil) it does nothing.
func (w *Watcher) Serve(ln net.Listener, token string) (stop func()) {
	if ln == nil {
		return func() {}
	}
	srv := &http.Server{Handler: w.Handler(token), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }
}

// Handler is the watcher's local HTTP API (docs/protocol.md, "Local API"):
//
//	GET  /healthz                                → 200 {"status":"ok"}
//	GET  /metrics                                → Prometheus text format
//	GET  /api/v1/courier/outbound/queue          → {"messages":[…]} (query: provider, state, all=1)
//	POST /api/v1/courier/outbound/send           → sweep now, 202 {"status":"sweeping"}
//	POST /api/v1/courier/outbound/retry/{id}     → 200 {"id","state":"pending"}; 404 unknown; 409 not dead
//	POST /api/v1/courier/fetch                   → central mode: fetch, deliver, then 200
//	                                               {"status":"fetched","delivered":N,"invalid":M}; 502 when
//	                                               the fetch failed; 404 without Config.Fetch
//
// A request whose Host is not a loopback name or address (localhost, 127.0.0.0/8, ::1) nor one of
// Config.APIHosts, or that carries an Origin naming another host, gets 403: a web page reached
// through DNS rebinding or another site cannot use the API. Every POST needs Content-Type:
// application/json (415 otherwise), which no browser sends cross-site without a preflight. With a non-empty token every request needs `Authorization: Bearer <token>`
// (401 otherwise). Errors are JSON: {"error": "…"}.
func (w *Watcher) Handler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		writeJSON(rw, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /metrics", w.serveMetrics)
	mux.HandleFunc("GET /api/v1/courier/outbound/queue", w.serveQueue)
	mux.HandleFunc("POST /api/v1/courier/outbound/send", func(rw http.ResponseWriter, _ *http.Request) {
		w.Sweep()
		writeJSON(rw, http.StatusAccepted, map[string]string{"status": "sweeping"})
	})
	mux.HandleFunc("POST /api/v1/courier/outbound/retry/{id}", w.serveRetry)
	if w.cfg.Fetch != nil {
		mux.HandleFunc("POST /api/v1/courier/fetch", w.serveFetch)
	}
	return guard(token, w.cfg.APIHosts, mux)
}

// guard enforces the allowed hosts, the bearer token and the JSON content type of POSTs.
func guard(token string, hosts []string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	allowed := map[string]bool{}
	for _, h := range hosts {
		allowed[normHost(h)] = true
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !hostAllowed(hostOnly(r.Host), allowed) {
			writeError(rw, http.StatusForbidden, "host not allowed (only loopback names and watch.api_hosts)")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !originAllowed(o, allowed) {
			writeError(rw, http.StatusForbidden, "origin not allowed (only loopback names and watch.api_hosts)")
			return
		}
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			sum := sha256.Sum256([]byte(strings.TrimSpace(got)))
			if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
				rw.Header().Set("WWW-Authenticate", `Bearer realm="courier"`)
				writeError(rw, http.StatusUnauthorized, "missing or wrong bearer token")
				return
			}
		}
		if r.Method == http.MethodPost {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeError(rw, http.StatusUnsupportedMediaType, "POST requires Content-Type: application/json")
				return
			}
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *Watcher) serveMetrics(rw http.ResponseWriter, _ *http.Request) {
	entries, err := w.mb.List(mailbox.Outbound, mailbox.Archive, mailbox.DeadLetter)
	if err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	states := map[string]int{}
	for _, e := range entries {
		states[StateOf(e)]++
	}
	var buf bytes.Buffer
	if err := w.metrics.write(&buf, states); err != nil {
		writeError(rw, http.StatusInternalServerError, err.Error())
		return
	}
	rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = rw.Write(buf.Bytes())
}

func (w *Watcher) serveQueue(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := QueueFilter{Provider: q.Get("provider"), State: q.Get("state"), All: q.Get("all") == "1" || q.Get("all") == "true"}
	items, err := ListQueue(w.mb, f)
	if err != nil {
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(rw, http.StatusOK, map[string]any{"messages": items})
}

func (w *Watcher) serveRetry(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		writeError(rw, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	if len(bytes.TrimSpace(body)) > 0 {
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			writeError(rw, http.StatusBadRequest, "body must be a JSON object such as {}")
			return
		}
	}
	id := r.PathValue("id")
	_, err = Retry(w.mb, []string{id}, w.cfg.Now())
	switch {
	case errors.Is(err, mailbox.ErrNotFound):
		writeError(rw, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrNotDeadLettered):
		writeError(rw, http.StatusConflict, err.Error())
	case err != nil:
		writeError(rw, http.StatusInternalServerError, err.Error())
	default:
		w.Sweep()
		writeJSON(rw, http.StatusOK, map[string]string{"id": id, "state": StatePending})
	}
}

// serveFetch runs a central-mode fetch (a forge's push webhook) and answers once it is done.
func (w *Watcher) serveFetch(rw http.ResponseWriter, r *http.Request) {
	delivered, invalid, err := w.cfg.Fetch(r.Context())
	if err != nil {
		writeError(rw, http.StatusBadGateway, w.cfg.Redact(err.Error()))
		return
	}
	if delivered > 0 {
		w.Sweep()
	}
	writeJSON(rw, http.StatusOK, map[string]any{"status": "fetched", "delivered": delivered, "invalid": invalid})
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}

func writeError(rw http.ResponseWriter, code int, msg string) {
	writeJSON(rw, code, map[string]string{"error": msg})
}

// hostAllowed reports whether h (without port) is a loopback name or address or in allowed.
func hostAllowed(h string, allowed map[string]bool) bool {
	h = normHost(h)
	if h == "" {
		return false
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || allowed[h] {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// originAllowed reports whether the Origin header o names an allowed host ("null" never does).
func originAllowed(o string, allowed map[string]bool) bool {
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	return hostAllowed(u.Hostname(), allowed)
}

// hostOnly strips the port from a Host header value ("[::1]:8080" → "::1").
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// normHost lower-cases h and drops a port, brackets and a trailing dot.
func normHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(hostOnly(strings.TrimSpace(h))), ".")
}
