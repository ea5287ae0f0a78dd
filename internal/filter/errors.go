package filter

import "errors"

// ErrInvalid is wrapped by every error Parse and ParseSchema return for malformed input.
var ErrInvalid = errors.New("invalid filter")

// ErrUnsupported is wrapped by the errors Parse and ParseSchema return for valid Qdrant syntax
// that Needle does not implement (geo conditions, has_vector, text and geo indexes).
var ErrUnsupported = errors.New("unsupported filter feature")

// ParseError describes what is wrong with a filter and where. Its message has the form
// `filter.must[1].range: "gt" must be a number`. It unwraps to ErrInvalid or ErrUnsupported.
type ParseError struct {
	// Path locates the offending value, e.g. "filter.must[1].range".
	Path string
	// Msg says what is wrong with it.
	Msg string

	kind error
}

// Error returns "Path: Msg".
func (e *ParseError) Error() string { return e.Path + ": " + e.Msg }

// Unwrap returns ErrInvalid or ErrUnsupported.
func (e *ParseError) Unwrap() error { return e.kind }

func invalidf(path, msg string) *ParseError {
	return &ParseError{Path: path, Msg: msg, kind: ErrInvalid}
}

func unsupported(path, msg string) *ParseError {
	return &ParseError{Path: path, Msg: msg, kind: ErrUnsupported}
}
