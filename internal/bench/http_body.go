package bench

import (
	"strconv"
)

// maxEncodedBodies bounds the memory spent on pre-encoded query bodies. Vectors
// past it are not used: the run cycles through the ones that fit (fashion-mnist's
// 10,000 queries take about 30 MB).
const maxEncodedBodies = 64 << 20

// encodeQueryBodies encodes the request body of a query for rows of m, in row
// order, until all rows are encoded, limit rows are (limit > 0), or the bodies
// reach maxEncodedBodies. Each body is prefix + vector + suffix; the vector part
// is body[len(prefix):len(body)-len(suffix)], which upserts reuse. The bodies are
// built once so that the load generator spends its CPU on sending, not on
// formatting floats.
func encodeQueryBodies(m *Matrix, prefix, suffix []byte, limit int) [][]byte {
	rows := m.Rows
	if limit > 0 && limit < rows {
		rows = limit
	}
	var out [][]byte
	total := 0
	for i := 0; i < rows; i++ {
		b := make([]byte, 0, len(prefix)+len(suffix)+m.Cols*8)
		b = append(b, prefix...)
		b = appendVector(b, m.Row(i))
		b = append(b, suffix...)
		out = append(out, b)
		if total += len(b); total >= maxEncodedBodies {
			break
		}
	}
	return out
}

// appendVector appends v as a JSON array of numbers, each the shortest decimal
// that reads back as the same float32.
func appendVector(b []byte, v []float32) []byte {
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return append(b, ']')
}

// queryAffixes returns the parts of a query body around its vector:
// {"query":VEC,"limit":K[,"params":{...}][,"filter":F]}.
func queryAffixes(c *HTTPConfig) (prefix, suffix []byte) {
	prefix = []byte(`{"query":`)
	suffix = append(suffix, `,"limit":`...)
	suffix = strconv.AppendInt(suffix, int64(c.K), 10)
	if c.HnswEf > 0 || c.Exact {
		suffix = append(suffix, `,"params":{`...)
		if c.HnswEf > 0 {
			suffix = append(suffix, `"hnsw_ef":`...)
			suffix = strconv.AppendInt(suffix, int64(c.HnswEf), 10)
			if c.Exact {
				suffix = append(suffix, ',')
			}
		}
		if c.Exact {
			suffix = append(suffix, `"exact":true`...)
		}
		suffix = append(suffix, '}')
	}
	if len(c.Filter) > 0 {
		suffix = append(suffix, `,"filter":`...)
		suffix = append(suffix, c.Filter...)
	}
	suffix = append(suffix, '}')
	return prefix, suffix
}

// upsertBody returns {"points":[{"id":ID,"vector":VEC}]}.
func upsertBody(id uint64, vec []byte) []byte {
	b := make([]byte, 0, len(vec)+48)
	b = append(b, `{"points":[{"id":`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `,"vector":`...)
	b = append(b, vec...)
	return append(b, `}]}`...)
}
