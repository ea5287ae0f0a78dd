package server

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// openAPIDoc is the part of the OpenAPI document the tests look at.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

var openAPIMethods = map[string]bool{"get": true, "put": true, "post": true, "patch": true, "delete": true, "head": true, "options": true, "trace": true}

// routePattern matches the registrations in routes.go: mux.HandleFunc("GET /path", ...) and mux.Handle("GET /path", ...).
var routePattern = regexp.MustCompile(`mux\.Handle(?:Func)?\("([A-Z]+) (/[^"]*)"`)

// registeredRoutes returns "METHOD /path" for every route in routes.go, in the spec's path form.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
		path := m[2]
		path = strings.ReplaceAll(path, "{$}", "")
		if path == "" {
			path = "/"
		}
		path = strings.ReplaceAll(path, "{name}", "{collection_name}")
		path = strings.ReplaceAll(path, "{field}", "{field_name}")
		path = strings.ReplaceAll(path, "{snapshot}", "{snapshot_name}")
		routes[m[1]+" "+path] = true
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in routes.go; has the registration style changed?", len(routes))
	}
	return routes
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	dec := json.NewDecoder(strings.NewReader(string(openAPISpec)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if dec.More() {
		t.Fatal("openapi.json has trailing data")
	}
	return doc
}

// documentedOperations returns "METHOD /path" for every operation in the spec.
func documentedOperations(t *testing.T, doc openAPIDoc) map[string]bool {
	t.Helper()
	ops := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if !openAPIMethods[method] {
				continue // parameters, summary, ...
			}
			ops[strings.ToUpper(method)+" "+path] = true
		}
	}
	return ops
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info.Title != "Needle" || !strings.HasPrefix(doc.Info.Version, QdrantVersion) {
		t.Errorf("info = %+v, want title Needle and a version starting with %s", doc.Info, QdrantVersion)
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	routes := registeredRoutes(t)
	ops := documentedOperations(t, loadOpenAPI(t))
	var missing, extra []string
	for r := range routes {
		if !ops[r] {
			missing = append(missing, r)
		}
	}
	for o := range ops {
		if !routes[o] {
			extra = append(extra, o)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %s is served but not in openapi.json", r)
	}
	for _, o := range extra {
		t.Errorf("openapi.json documents %s, which routes.go does not serve", o)
	}
}

// refPattern finds every local reference in the document.
var refPattern = regexp.MustCompile(`"\$ref":\s*"#/components/([A-Za-z]+)/([^"]+)"`)

func TestOpenAPIReferencesResolve(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, m := range refPattern.FindAllStringSubmatch(string(openAPISpec), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("unresolved reference #/components/%s/%s", m[1], m[2])
		}
	}
}

// TestOpenAPIPathParameters checks that each templated path segment has a path parameter of that name.
func TestOpenAPIPathParameters(t *testing.T) {
	doc := loadOpenAPI(t)
	params := doc.Components["parameters"]
	segment := regexp.MustCompile(`\{([^}]+)\}`)
	for path, item := range doc.Paths {
		want := map[string]bool{}
		for _, m := range segment.FindAllStringSubmatch(path, -1) {
			want[m[1]] = true
		}
		for method, raw := range item {
			if !openAPIMethods[method] {
				continue
			}
			var op struct {
				Parameters []json.RawMessage `json:"parameters"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			got := map[string]bool{}
			for _, p := range op.Parameters {
				var ref struct {
					Ref  string `json:"$ref"`
					Name string `json:"name"`
					In   string `json:"in"`
				}
				json.Unmarshal(p, &ref)
				if ref.Ref != "" {
					json.Unmarshal(params[strings.TrimPrefix(ref.Ref, "#/components/parameters/")], &ref)
				}
				if ref.In == "path" {
					got[ref.Name] = true
				}
			}
			for name := range want {
				if !got[name] {
					t.Errorf("%s %s: no path parameter %q", strings.ToUpper(method), path, name)
				}
			}
			for name := range got {
				if !want[name] {
					t.Errorf("%s %s: path parameter %q is not in the path", strings.ToUpper(method), path, name)
				}
			}
		}
	}
}
