package collection

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

// Point is one point as written: its id, its dense and sparse vectors by name, and a JSON payload.
type Point struct {
	ID      pointid.ID
	Vectors map[string][]float32
	Sparse  map[string]SparseVector
	Payload map[string]any
}

// OpKind names a write operation.
type OpKind uint8

// The write operations. Their numeric values are part of the WAL format (docs/format/wal.md).
const (
	OpUpsert OpKind = iota + 1
	OpDelete
	OpSetPayload
	OpOverwritePayload
	OpDeletePayload
	OpClearPayload
	OpCreateIndex
	OpDeleteIndex
	OpUpdateVectors // set the given vectors of existing points, keeping their other vectors
	OpDeleteVectors // remove the named vectors (Keys) from the selected points
)

// Selector picks the points an operation applies to: explicit ids, or a filter resolved when the
// operation is applied (so replay resolves it against the same state).
type Selector struct {
	IDs        []pointid.ID
	Filter     *filter.Filter
	FilterJSON json.RawMessage
}

// Op is one write operation, the unit of the WAL and of apply.
type Op struct {
	Kind     OpKind
	Points   []Point         // OpUpsert
	Select   Selector        // delete and payload ops
	Payload  map[string]any  // OpSetPayload, OpOverwritePayload
	Key      string          // OpSetPayload: optional nested key to set under
	Keys     []string        // OpDeletePayload
	Field    string          // index ops
	Schema   json.RawMessage // OpCreateIndex
	schemaOK filter.Schema
}

// errCodec marks a WAL record that cannot be decoded.
var errCodec = errors.New("malformed operation record")

// encode serialises op; see docs/format/wal.md for the layout.
func (op *Op) encode() ([]byte, error) {
	e := encoder{buf: make([]byte, 0, op.sizeHint())}
	e.u8(uint8(op.Kind))
	switch op.Kind {
	case OpUpsert, OpUpdateVectors:
		e.u32(uint32(len(op.Points)))
		for i := range op.Points {
			p := &op.Points[i]
			e.id(p.ID)
			e.u16(uint16(len(p.Vectors)))
			for _, name := range sortedKeys(p.Vectors) {
				v := p.Vectors[name]
				e.str(name)
				e.u32(uint32(len(v)))
				for _, x := range v {
					e.u32(math.Float32bits(x))
				}
			}
			if err := e.json(p.Payload); err != nil {
				return nil, err
			}
			e.u16(uint16(len(p.Sparse)))
			for _, name := range sortedKeys(p.Sparse) {
				sv := p.Sparse[name]
				e.str(name)
				e.u32(uint32(len(sv.Indices)))
				for i, t := range sv.Indices {
					e.u32(t)
					e.u32(math.Float32bits(sv.Values[i]))
				}
			}
		}
	case OpDelete, OpClearPayload:
		e.selector(op.Select)
	case OpSetPayload, OpOverwritePayload:
		e.selector(op.Select)
		if err := e.json(op.Payload); err != nil {
			return nil, err
		}
		e.str(op.Key)
	case OpDeletePayload, OpDeleteVectors:
		e.selector(op.Select)
		e.u32(uint32(len(op.Keys)))
		for _, k := range op.Keys {
			e.str(k)
		}
	case OpCreateIndex:
		e.str(op.Field)
		e.bytes(op.Schema)
	case OpDeleteIndex:
		e.str(op.Field)
	default:
		return nil, fmt.Errorf("BUG: encode of unknown op kind %d", op.Kind)
	}
	return e.buf, nil
}

func (op *Op) sizeHint() int {
	n := 64
	for i := range op.Points {
		n += 32
		for _, v := range op.Points[i].Vectors {
			n += 8 + 4*len(v)
		}
		for _, v := range op.Points[i].Sparse {
			n += 8 + 8*len(v.Indices)
		}
	}
	return n
}

// decodeOp parses a WAL record produced by encode.
func decodeOp(b []byte) (*Op, error) {
	d := decoder{buf: b}
	op := &Op{Kind: OpKind(d.u8())}
	switch op.Kind {
	case OpUpsert, OpUpdateVectors:
		n := d.u32()
		if int(n) > len(b) {
			return nil, errCodec
		}
		op.Points = make([]Point, n)
		for i := range op.Points {
			p := &op.Points[i]
			p.ID = d.id()
			nv := int(d.u16())
			p.Vectors = make(map[string][]float32, nv)
			for j := 0; j < nv && d.err == nil; j++ {
				name := d.str()
				dim := int(d.u32())
				if dim > len(d.buf)/4 {
					return nil, errCodec
				}
				v := make([]float32, dim)
				for k := range v {
					v[k] = math.Float32frombits(d.u32())
				}
				p.Vectors[name] = v
			}
			p.Payload = d.payload()
			ns := int(d.u16())
			for j := 0; j < ns && d.err == nil; j++ {
				name := d.str()
				nnz := int(d.u32())
				if nnz > len(d.buf)/8 {
					return nil, errCodec
				}
				sv := SparseVector{Indices: make([]uint32, nnz), Values: make([]float32, nnz)}
				for k := 0; k < nnz; k++ {
					sv.Indices[k] = d.u32()
					sv.Values[k] = math.Float32frombits(d.u32())
				}
				if p.Sparse == nil {
					p.Sparse = map[string]SparseVector{}
				}
				p.Sparse[name] = sv
			}
		}
	case OpDelete, OpClearPayload:
		op.Select = d.selector()
	case OpSetPayload, OpOverwritePayload:
		op.Select = d.selector()
		op.Payload = d.payload()
		op.Key = d.str()
	case OpDeletePayload, OpDeleteVectors:
		op.Select = d.selector()
		n := int(d.u32())
		if n > len(b) {
			return nil, errCodec
		}
		for i := 0; i < n && d.err == nil; i++ {
			op.Keys = append(op.Keys, d.str())
		}
	case OpCreateIndex:
		op.Field = d.str()
		op.Schema = append(json.RawMessage(nil), d.bytes()...)
		if d.err == nil {
			s, err := filter.ParseSchema(op.Schema)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", errCodec, err)
			}
			op.schemaOK = s
		}
	case OpDeleteIndex:
		op.Field = d.str()
	default:
		return nil, fmt.Errorf("%w: unknown kind %d", errCodec, op.Kind)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.buf) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCodec, len(d.buf))
	}
	return op, nil
}

type encoder struct{ buf []byte }

func (e *encoder) u8(v uint8)   { e.buf = append(e.buf, v) }
func (e *encoder) u16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }
func (e *encoder) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *encoder) bytes(b []byte) {
	e.u32(uint32(len(b)))
	e.buf = append(e.buf, b...)
}
func (e *encoder) str(s string) {
	e.u32(uint32(len(s)))
	e.buf = append(e.buf, s...)
}
func (e *encoder) id(id pointid.ID) {
	if id.IsUUID() {
		e.u8(1)
		b := id.Bytes()
		e.buf = append(e.buf, b[:]...)
		return
	}
	e.u8(0)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, id.Uint64())
}
func (e *encoder) json(v map[string]any) error {
	if len(v) == 0 {
		e.u32(0)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	e.bytes(b)
	return nil
}
func (e *encoder) selector(s Selector) {
	if s.Filter != nil || s.FilterJSON != nil {
		e.u8(1)
		e.bytes(s.FilterJSON)
		return
	}
	e.u8(0)
	e.u32(uint32(len(s.IDs)))
	for _, id := range s.IDs {
		e.id(id)
	}
}

type decoder struct {
	buf []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.buf) {
		d.err = errCodec
		d.buf = nil
		return make([]byte, max(n, 0))
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}
func (d *decoder) u8() uint8   { return d.take(1)[0] }
func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.take(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.take(4)) }
func (d *decoder) bytes() []byte {
	n := d.u32()
	if int64(n) > int64(len(d.buf)) {
		d.err = errCodec
		return nil
	}
	return d.take(int(n))
}
func (d *decoder) str() string { return string(d.bytes()) }
func (d *decoder) id() pointid.ID {
	if d.u8() == 1 {
		var u [16]byte
		copy(u[:], d.take(16))
		return pointid.UUID(u)
	}
	return pointid.Num(binary.LittleEndian.Uint64(d.take(8)))
}
func (d *decoder) payload() map[string]any {
	b := d.bytes()
	if d.err != nil || len(b) == 0 {
		return nil
	}
	m, err := DecodePayload(b)
	if err != nil {
		d.err = fmt.Errorf("%w: payload: %v", errCodec, err)
	}
	return m
}
func (d *decoder) selector() Selector {
	if d.u8() == 1 {
		raw := append(json.RawMessage(nil), d.bytes()...)
		if d.err != nil {
			return Selector{}
		}
		f, err := filter.Parse(raw)
		if err != nil {
			d.err = fmt.Errorf("%w: filter: %v", errCodec, err)
		}
		return Selector{Filter: f, FilterJSON: raw}
	}
	n := int(d.u32())
	if n > len(d.buf) {
		d.err = errCodec
		return Selector{}
	}
	ids := make([]pointid.ID, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		ids = append(ids, d.id())
	}
	return Selector{IDs: ids}
}
