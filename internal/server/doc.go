// Package server serves Needle's Qdrant-compatible REST API over net/http: routing, middleware
// (panic recovery, body limits, metrics, access log), handlers and graceful shutdown.
//
// Concurrency: every request runs on its own goroutine; handlers hold no state of their own and
// call into collection.Manager, which is safe for concurrent use. Metrics are lock-free counters.
package server
