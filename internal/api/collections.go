package api

import (
	"bytes"
	"encoding/json"

	"github.com/needlevdb/needle/internal/collection"
)

// CreateCollectionRequest is the body of PUT /collections/{name}.
type CreateCollectionRequest struct {
	Vectors       json.RawMessage `json:"vectors"`
	SparseVectors json.RawMessage `json:"sparse_vectors"`
	OnDiskPayload *bool           `json:"on_disk_payload"`
	ShardNumber   *int            `json:"shard_number"`
	Replication   *int            `json:"replication_factor"`
	// Accepted and echoed back in collection info; they take effect as the matching features land.
	HnswConfig         json.RawMessage `json:"hnsw_config"`
	OptimizersConfig   json.RawMessage `json:"optimizers_config"`
	WalConfig          json.RawMessage `json:"wal_config"`
	QuantizationConfig json.RawMessage `json:"quantization_config"`
	// IvfConfig is Needle's extension: IVF indexes instead of HNSW graphs (collection.IvfConfig).
	IvfConfig *collection.IvfConfig `json:"ivf_config"`
}

// Config converts the request into a collection configuration.
func (r *CreateCollectionRequest) Config() (*collection.Config, error) {
	if r.ShardNumber != nil && *r.ShardNumber != 1 {
		return nil, BadRequest("shard_number must be 1 in this version")
	}
	cfg := &collection.Config{Vectors: map[string]collection.VectorParams{}, OnDiskPayload: r.OnDiskPayload == nil || *r.OnDiskPayload}
	if !isNull(r.SparseVectors) {
		var sparse map[string]struct {
			Modifier *string        `json:"modifier"`
			Index    map[string]any `json:"index"`
		}
		if err := json.Unmarshal(r.SparseVectors, &sparse); err != nil {
			return nil, BadRequest("sparse_vectors must be an object of named sparse vector params: %v", err)
		}
		for name, p := range sparse {
			if cfg.SparseVectors == nil {
				cfg.SparseVectors = map[string]collection.SparseParams{}
			}
			sp := collection.SparseParams{}
			if p.Modifier != nil && *p.Modifier != "none" {
				sp.Modifier = *p.Modifier
			}
			cfg.SparseVectors[name] = sp
		}
	}
	if isNull(r.Vectors) && len(cfg.SparseVectors) == 0 {
		return nil, BadRequest("vectors is missing: give {\"size\": N, \"distance\": \"Cosine\"} or named vectors")
	}
	var probe map[string]json.RawMessage
	if !isNull(r.Vectors) {
		if err := json.Unmarshal(r.Vectors, &probe); err != nil {
			return nil, BadRequest("vectors must be an object: %v", err)
		}
	}
	if _, single := probe["size"]; single {
		p, err := vectorParams(r.Vectors, "vectors")
		if err != nil {
			return nil, err
		}
		cfg.Vectors[""] = p
		cfg.Unnamed = true
	} else {
		if len(probe) == 0 && len(cfg.SparseVectors) == 0 {
			return nil, BadRequest("vectors: at least one vector must be configured")
		}
		for name, raw := range probe {
			p, err := vectorParams(raw, "vectors."+name)
			if err != nil {
				return nil, err
			}
			cfg.Vectors[name] = p
		}
	}
	extra := map[string]json.RawMessage{}
	if !isNull(r.HnswConfig) {
		if err := json.Unmarshal(r.HnswConfig, &cfg.Hnsw); err != nil {
			return nil, BadRequest("hnsw_config: %v", err)
		}
	}
	if !isNull(r.OptimizersConfig) {
		var o struct {
			DefaultSegmentNumber *int `json:"default_segment_number"`
		}
		if err := json.Unmarshal(r.OptimizersConfig, &o); err != nil {
			return nil, BadRequest("optimizers_config: %v", err)
		}
		if o.DefaultSegmentNumber != nil {
			if *o.DefaultSegmentNumber < 0 || *o.DefaultSegmentNumber > 64 {
				return nil, BadRequest("optimizers_config.default_segment_number must be between 0 and 64")
			}
			cfg.Segments = *o.DefaultSegmentNumber
		}
	}
	if !isNull(r.QuantizationConfig) {
		q, err := quantization(r.QuantizationConfig, "quantization_config")
		if err != nil {
			return nil, err
		}
		cfg.Quantization = q
	}
	cfg.Ivf = r.IvfConfig
	for k, v := range map[string]json.RawMessage{"hnsw_config": r.HnswConfig, "optimizers_config": r.OptimizersConfig, "wal_config": r.WalConfig, "quantization_config": r.QuantizationConfig} {
		if !isNull(v) {
			extra[k] = v
		}
	}
	if len(extra) > 0 {
		cfg.Extra = extra
	}
	if err := cfg.Validate(); err != nil {
		return nil, BadRequest("%v", err)
	}
	return cfg, nil
}

func vectorParams(raw json.RawMessage, field string) (collection.VectorParams, error) {
	var p struct {
		Size     *int                   `json:"size"`
		Distance string                 `json:"distance"`
		OnDisk   *bool                  `json:"on_disk"`
		Datatype string                 `json:"datatype"`
		Multi    json.RawMessage        `json:"multivector_config"`
		Hnsw     *collection.HnswConfig `json:"hnsw_config"`
		Quant    json.RawMessage        `json:"quantization_config"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return collection.VectorParams{}, BadRequest("%s: %v", field, err)
	}
	if p.Size == nil {
		return collection.VectorParams{}, BadRequest("%s.size is missing", field)
	}
	if p.Datatype != "" && p.Datatype != "float32" && p.Datatype != "float16" {
		return collection.VectorParams{}, BadRequest("%s.datatype %q is not supported (float32 or float16)", field, p.Datatype)
	}
	if !isNull(p.Multi) {
		return collection.VectorParams{}, BadRequest("%s.multivector_config is not supported", field)
	}
	vp := collection.VectorParams{Size: *p.Size, Distance: collection.Distance(p.Distance), OnDisk: p.OnDisk, Hnsw: p.Hnsw, Datatype: p.Datatype}
	if !isNull(p.Quant) {
		q, err := quantization(p.Quant, field+".quantization_config")
		if err != nil {
			return collection.VectorParams{}, err
		}
		vp.Quantization = q
	}
	return vp, nil
}

// quantization decodes a quantization_config (scalar, product or binary, in Qdrant's shapes);
// the collection validates the values.
func quantization(raw json.RawMessage, field string) (*collection.QuantizationConfig, error) {
	var q collection.QuantizationConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return nil, BadRequest("%s: %v (give {\"scalar\": {\"type\": \"int8\"}}, {\"product\": {\"compression\": \"x16\"}} or {\"binary\": {}})", field, err)
	}
	return &q, nil
}

// CollectionInfo builds the info response of a collection in Qdrant's shape.
func CollectionInfo(c *collection.Collection) map[string]any {
	snap := c.ConfigSnapshot()
	cfg := &snap
	info := c.Info()
	var vectors any
	if cfg.Unnamed {
		vectors = cfg.Vectors[""]
	} else {
		vectors = cfg.Vectors
	}
	hnsw := map[string]any{"m": 16, "ef_construct": 100, "full_scan_threshold": 10000, "max_indexing_threads": 0, "on_disk": false}
	overlay(hnsw, cfg.Extra["hnsw_config"])
	if h, err := json.Marshal(cfg.Hnsw); err == nil {
		overlay(hnsw, h)
	}
	opt := map[string]any{"deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 0,
		"max_segment_size": nil, "memmap_threshold": nil, "indexing_threshold": 20000, "flush_interval_sec": 5, "max_optimization_threads": nil}
	overlay(opt, cfg.Extra["optimizers_config"])
	walCfg := map[string]any{"wal_capacity_mb": 32, "wal_segments_ahead": 0}
	overlay(walCfg, cfg.Extra["wal_config"])
	schema := map[string]any{}
	for field, ix := range info.PayloadSchema {
		schema[field] = map[string]any{"data_type": ix.Schema, "points": ix.Points}
	}
	var quant any
	if q, ok := cfg.Extra["quantization_config"]; ok {
		quant = q
	}
	return map[string]any{
		"status":                "green",
		"optimizer_status":      "ok",
		"points_count":          info.Points,
		"indexed_vectors_count": info.IndexedPoints,
		"segments_count":        info.Segments,
		"config": map[string]any{
			"params": map[string]any{
				"vectors": vectors, "shard_number": 1, "replication_factor": 1,
				"write_consistency_factor": 1, "on_disk_payload": cfg.OnDiskPayload,
				"sparse_vectors": sparseInfo(cfg),
			},
			"hnsw_config":         hnsw,
			"optimizer_config":    opt,
			"wal_config":          walCfg,
			"quantization_config": quant,
			"ivf_config":          cfg.Ivf, // Needle extension (null unless set)
		},
		"payload_schema": schema,
		// Needle extension: memory use by vector name (see docs/api-coverage.md).
		"memory": c.Memory(),
	}
}

func overlay(dst map[string]any, raw json.RawMessage) {
	if len(raw) == 0 {
		return
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			dst[k] = v
		}
	}
}

func sparseInfo(cfg *collection.Config) any {
	if len(cfg.SparseVectors) == 0 {
		return nil
	}
	out := map[string]any{}
	for name, p := range cfg.SparseVectors {
		m := map[string]any{}
		if p.Modifier != "" {
			m["modifier"] = p.Modifier
		}
		out[name] = m
	}
	return out
}
