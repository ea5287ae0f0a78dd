module github.com/needlevdb/needle

go 1.26.0

require golang.org/x/sys v0.49.0

require (
	github.com/prometheus/client_golang v1.25.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
)
