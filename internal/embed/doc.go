// Package embed turns texts into dense vectors through configured upstream services speaking the
// OpenAI-compatible embeddings API (POST {base}/v1/embeddings: OpenAI, Ollama, TEI, vLLM and
// gateways), so that a Qdrant Document {"text": ..., "model": NAME} can be upserted and queried.
//
// A Provider is one model name clients use, served by one or more weighted upstreams. For each
// provider the Embedder keeps:
//
//   - an LRU cache of embeddings by text, and a table of texts being embedded, so identical
//     texts requested at the same time are sent once;
//   - a batcher: a text that finds a free request slot (fewer than MaxConcurrency requests in
//     flight) leaves at once, so a lone request waits for nothing; texts arriving while every
//     slot is busy wait in a bounded FIFO (MaxQueue; beyond it ErrQueueFull) and each finishing
//     request takes up to MaxBatch of them into the next one. Only when the provider is
//     saturated (recent batches at least half full, a request in flight) may a free slot wait
//     up to Linger (1 ms) for a fuller batch (docs/decisions/004-embed-batching.md);
//   - per upstream, one pooled *http.Client whose keep-alive pool holds MaxConcurrency
//     connections, a circuit breaker, and Prometheus series;
//   - retries with exponential backoff and jitter on 429, 5xx, timeouts and network errors,
//     honouring Retry-After and bounded by the waiting callers' deadlines; failover to an
//     untried upstream after any upstream-side failure; no retry of input the upstream refused.
//
// Responses are validated (count, indices, Dimensions, finite values) before anything is cached
// or returned. Embed is all-or-nothing: a caller gets every vector or an error.
//
// Errors are *Error values whose Kind is one of the exported sentinels; HTTPStatus maps them
// (unknown model and bad input 400, unavailable 503, invalid upstream response 502).
//
// # Concurrency
//
// An Embedder is safe for concurrent use by any number of goroutines. Each provider has one
// mutex guarding its cache, pending table and queue; it is held for map and slice updates only,
// never across I/O. Upstream requests run on goroutines owned by the provider (at most
// MaxConcurrency at a time), each decoding its own response, with helpers for a large one only
// on free slots of Options.Slots; callers block only on their own texts' completion or their
// context.
// A caller whose context ends returns at once; a queued text nobody waits for any more is
// dropped, and a request nobody waits for any more is canceled. A request carrying texts of
// several callers runs until the latest of their deadlines (a caller that joins a request
// already sent cannot extend it). Returned vectors are fresh copies owned by the caller.
//
// The tests use the one permitted test double, a fake OpenAI-compatible upstream built with
// net/http/httptest: no embedding model can run where the tests run.
package embed
