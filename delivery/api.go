package delivery

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/monoco/courier/delivery/mailbox"
)

// Handler is the watcher's local HTTP API (contract §7, §11):
//
//	GET  /healthz                                → 200 {"status":"ok"}
//	GET  /metrics                                → Prometheus text format
//	GET  /api/v1/courier/outbound/queue          → {"messages":[…]} (query: provider, state, all=1)
//	POST /api/v1/courier/outbound/send           → sweep now, 202 {"status":"sweeping"}
//	POST /api/v1/courier/outbound/retry/{id}     → 200 {"id","state":"pending"}; 404 unknown; 409 not dead
//
// Every POST needs Content-Type: application/json (415 otherwise), which no browser sends cross-site
// without a preflight. With a non-empty token every request needs `Authorization: Bearer <token>`
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
	return guard(token, mux)
}

// guard enforces the bearer token and the JSON content type of POSTs.
func guard(token string, next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
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

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}

func writeError(rw http.ResponseWriter, code int, msg string) {
	writeJSON(rw, code, map[string]string{"error": msg})
}
