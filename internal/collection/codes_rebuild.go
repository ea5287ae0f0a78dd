package collection

import (
	"fmt"
	"runtime"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/index/quant/binary"
	"github.com/needlevdb/needle/internal/index/quant/codec"
)

// rebuildCodes trains and encodes anew the binary codes of vector name of a sealed segment,
// whose file at path is of an older format, and replaces the file atomically (a temporary file
// renamed over it, so a crash leaves the old file to rebuild again, and a snapshot holding a
// link to the old file keeps it). The codec is the collection's binary one, or the default
// binary codec if the configuration no longer asks for binary codes (the file's name says
// binary).
//
// A failure to publish the new file (a full or read-only disk) is not fatal: the codes are used
// from memory, publish reports why, and the next open rebuilds them again.
func rebuildCodes(cfg *Config, sg *segmentData, name, path string, metric flat.Metric) (quant.Codes, error) {
	spec := codec.Spec{Kind: codec.Binary, Query: binary.Asymmetric}
	if s := cfg.codecFor(name); s != nil && s.Kind == codec.Binary {
		spec = *s
	}
	sp := sg.spaces[name]
	if sp == nil {
		return nil, fmt.Errorf("rebuild codes %s: no vectors %q in the segment", path, name)
	}
	codes, err := codec.Train(spec, sp.flat(), metric, sg.id, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, fmt.Errorf("rebuild codes %s: %w", path, err)
	}
	if err := fsx.ReplaceWith(path, codes); err != nil {
		return codes, fmt.Errorf("rebuild codes: %w", err)
	}
	return codes, nil
}
