package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/needlevdb/needle/internal/collection"
)

// Error is an error with the HTTP status it should be answered with.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// BadRequest returns a 400 error with a formatted message.
func BadRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Msg: "Bad request: " + fmt.Sprintf(format, args...)}
}

// NotFound returns a 404 error with a formatted message.
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Msg: "Not found: " + fmt.Sprintf(format, args...)}
}

// StatusOf maps an error to its HTTP status and client-facing message.
func StatusOf(err error) (int, string) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Status, ae.Msg
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("Payload too large: request body exceeds the limit of %d bytes", mbe.Limit)
	}
	msg := err.Error()
	switch {
	case errors.Is(err, collection.ErrNotFound):
		return http.StatusNotFound, "Not found: " + strip(msg, collection.ErrNotFound)
	case errors.Is(err, collection.ErrInvalid):
		return http.StatusBadRequest, "Bad request: " + strip(msg, collection.ErrInvalid)
	case errors.Is(err, collection.ErrConflict):
		return http.StatusConflict, strip(msg, collection.ErrConflict)
	case errors.Is(err, collection.ErrUnavailable), errors.Is(err, collection.ErrClosed):
		return http.StatusServiceUnavailable, "Service unavailable: " + strip(msg, collection.ErrUnavailable)
	}
	return http.StatusInternalServerError, "Service internal error: " + msg
}

// strip removes the sentinel's own text from a wrapped message ("not found: X" -> "X").
func strip(msg string, sentinel error) string {
	s := sentinel.Error() + ": "
	if i := strings.Index(msg, s); i >= 0 {
		return msg[:i] + msg[i+len(s):]
	}
	return msg
}

// decodeError turns an encoding/json error into a message that names the field.
func decodeError(err error) *Error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Msg: fmt.Sprintf("Payload too large: request body exceeds the limit of %d bytes", mbe.Limit)}
	case errors.As(err, &se):
		return BadRequest("Json deserialize error: malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "request body"
		}
		return BadRequest("Json deserialize error: %s: expected %s, got JSON %s", field, te.Type, te.Value)
	case errors.Is(err, errEmptyBody):
		return BadRequest("Json deserialize error: empty request body")
	}
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return BadRequest("Json deserialize error: %v", err)
}
