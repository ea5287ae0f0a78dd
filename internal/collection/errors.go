package collection

import (
	"errors"
	"fmt"
	"math"
)

// Sentinel error classes. Errors returned by this package wrap one of them so the API layer can pick
// the HTTP status without parsing messages.
var (
	// ErrNotFound: the collection, point or vector name does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request is malformed or does not fit the collection's configuration.
	ErrInvalid = errors.New("bad request")
	// ErrConflict: the collection already exists.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the write could not be made durable (disk full, read-only, failed log).
	ErrUnavailable = errors.New("service unavailable")
	// ErrClosed: the collection is shutting down or was deleted.
	ErrClosed = errors.New("collection is closed")
)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// checkVectors validates the vectors of one point: known names, right sizes, finite values.
func (c *Config) checkVectors(vs map[string][]float32) error {
	for name, v := range vs {
		p, ok := c.Vectors[name]
		if !ok {
			if name == "" {
				return invalidf("this collection has only named vectors (%v); give the vector name", c.VectorNames())
			}
			return invalidf("Wrong input: Not existing vector name error: %s", name)
		}
		if len(v) != p.Size {
			return invalidf("wrong vector dimension%s: expected %d, got %d", nameSuffix(name), p.Size, len(v))
		}
		if err := checkFinite(v); err != nil {
			return invalidf("vector%s %v", nameSuffix(name), err)
		}
		if p.Datatype == "float16" && p.Distance != Cosine { // Cosine vectors are normalised
			if err := checkHalfRange(v); err != nil {
				return invalidf("vector%s %v", nameSuffix(name), err)
			}
		}
	}
	return nil
}

// maxHalf is the largest finite IEEE half-precision value.
const maxHalf = 65504

// checkHalfRange refuses values a float16 copy would turn into infinities.
func checkHalfRange(v []float32) error {
	for i, x := range v {
		if x > maxHalf || x < -maxHalf {
			return fmt.Errorf("has %v at position %d, beyond the ±%d of datatype float16", x, i, maxHalf)
		}
	}
	return nil
}

// checkPoint validates all vectors of one point (and sorts its sparse vectors).
func (c *Config) checkPoint(p *Point) error {
	if err := c.checkVectors(p.Vectors); err != nil {
		return fmt.Errorf("point %s: %w", p.ID, err)
	}
	if err := c.checkSparse(p.Sparse); err != nil {
		return fmt.Errorf("point %s: %w", p.ID, err)
	}
	return nil
}

// CheckQueryVector validates a query vector for the named vector space.
func (c *Config) CheckQueryVector(using string, v []float32) error {
	p, ok := c.Vectors[using]
	if !ok {
		if using == "" {
			return invalidf("this collection has only named vectors (%v); set `using` to one of them", c.VectorNames())
		}
		return invalidf("Wrong input: Not existing vector name error: %s", using)
	}
	if len(v) != p.Size {
		return invalidf("wrong query vector dimension%s: expected %d, got %d", nameSuffix(using), p.Size, len(v))
	}
	if err := checkFinite(v); err != nil {
		return invalidf("query vector %v", err)
	}
	return nil
}

func checkFinite(v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("has a non-finite value (%v) at position %d", x, i)
		}
	}
	return nil
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" for vector `%s`", name)
}
