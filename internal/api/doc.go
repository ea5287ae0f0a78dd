// Package api holds Needle's Qdrant-compatible wire types: request decoding and validation,
// response shapes, and the error catalogue mapping errors to HTTP status codes. It does not import
// net/http handlers; internal/server does the serving.
//
// Decoding keeps JSON numbers in payloads as json.Number so integers survive unchanged. Every
// decode error names the field at fault.
package api
