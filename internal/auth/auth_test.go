package auth

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	k := New([]string{"full-secret"}, []string{"ro-secret", ""})
	cases := []struct {
		header, value string
		access        Access
		err           error
	}{
		{"", "", None, ErrMissing},
		{"api-key", "full-secret", Full, nil},
		{"Authorization", "Bearer ro-secret", ReadOnly, nil},
		{"Authorization", "bearer full-secret", Full, nil},
		{"api-key", "nope", None, ErrInvalid},
		{"Authorization", "Basic full-secret", None, ErrMissing},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.header != "" {
			r.Header.Set(tc.header, tc.value)
		}
		id, err := k.Check(r)
		if !errors.Is(err, tc.err) || id.Access != tc.access {
			t.Errorf("%s=%q: got %v %v", tc.header, tc.value, id, err)
		}
		if err == nil && (id.ID == "" || id.ID == tc.value) {
			t.Errorf("identity %q leaks or lacks an id", id.ID)
		}
	}
	if id, err := New(nil, nil).Check(httptest.NewRequest("GET", "/", nil)); err != nil || id.Access != Full {
		t.Fatal("no keys configured must allow everything")
	}
}
