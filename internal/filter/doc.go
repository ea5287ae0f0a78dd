// Package filter implements Qdrant's payload filter language (as of Qdrant 1.19) and the payload
// field indexes that narrow which points a filter needs to look at.
//
// # Using it
//
// Parse (or json.Unmarshal into a Filter) turns request JSON into a validated *Filter; errors name
// the problem and its path (`filter.must[1].range: "gt" must be a number`) and wrap ErrInvalid or
// ErrUnsupported. Filter.Match evaluates the filter on one point's id and payload. A collection
// keeps an Indexes set (one Index per indexed field, created with NewIndex from a Schema parsed by
// ParseSchema), feeds it every payload it stores (Add/Remove by slot), and asks
// Filter.Candidates for a Bitmap of slots worth checking before running Match on them.
//
// Payloads are map[string]any as encoding/json decodes them with UseNumber: nil, bool, string,
// json.Number, []any, map[string]any.
//
// # Concurrency
//
// A Filter is immutable after Parse and safe for concurrent use. Indexes and Index have no locks:
// Put, Delete, Add and Remove need the caller's exclusive lock; Get, Fields, Len, Points, Values
// and Filter.Candidates only read (indexes never reorganise lazily on a query) and may run
// concurrently under the caller's shared lock.
//
// # Invariant
//
// Indexes never change results. Candidates returns a superset of the slots Match accepts, so
// Match alone defines the semantics; this is checked by a property test over random payloads and
// filters. (Qdrant lets some indexes alter results, e.g. a uuid index matching differently spelled
// UUIDs, or an integer index ignoring 2.5 in a range; Needle does not.)
//
// # Semantics and the decisions behind them
//
// Boolean structure, as Qdrant: must = all, should = at least one, must_not = none, min_should =
// at least min_count of its conditions. Each may be one condition object or an array; a filter
// object may itself be a condition. An empty "should": [] matches nothing (Qdrant issue #554,
// kept as designed); an empty must or must_not imposes nothing; a min_count larger than the
// number of conditions matches nothing; min_count must be >= 1.
//
// Keys: "a.b" walks objects; "a[]" expands the array a and "a[].b" projects b out of its elements;
// "a[2]" selects an element; `a."b.c"` quotes a key. As in Qdrant 1.19, "a.b" does not walk into
// an array a (write "a[].b"). Values at the end of the path that are arrays are flattened one level
// for match and range checks: a condition matches if any element matches (so {"tags": ["x", "y"]}
// matches {"key": "tags", "match": {"value": "x"}}). See Values.
//
// Field conditions take exactly one check (Qdrant ORs several given together; Needle rejects that
// as ambiguous):
//   - match {value}: strings equal exactly; booleans equal; an integer value matches JSON integers
//     only, so 5 matches 5 but not 5.0 or "5" (Qdrant compares with serde's as_i64). Float values
//     are rejected as in Qdrant.
//   - match {any: [...]}, {except: [...]}: lists of strings or of integers. except matches when
//     some value is not in the list; values of another type count as "not in the list", null and a
//     missing key do not (as Qdrant).
//   - match {text}, {phrase}: case-sensitive substring, which is what Qdrant does without a
//     full-text index (Needle has no full-text index). {text_any}: any whitespace-separated token
//     is a substring. {prefix}: byte-wise prefix of a string value.
//   - range {gt, gte, lt, lte}: with numbers, matches any JSON number (integer or not) in range;
//     with strings, a datetime range over string values. Datetimes are RFC 3339 or the other forms
//     Qdrant accepts ("YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS[.frac][zone]", with
//     "T" or a space); no zone means UTC; compared at microsecond precision. Mixing number and
//     string bounds is an error.
//   - values_count {gt, gte, lt, lte}: a value counts as its array length, null as 0, anything else
//     as 1; a missing key counts 0 values (Qdrant's fix for issue #9586); with several values (from
//     "a[].b") the condition holds if any one's count is in range, as in Qdrant.
//   - "is_empty": true/false and "is_null": true/false inside a field condition: Qdrant's
//     alternative syntax, with its per-value semantics.
//
// Other conditions: {"is_empty": {"key"}} holds when every value at key is null or [] (so also when
// the key is missing); {"is_null": {"key"}} holds only when some value at key is an explicit null
// ({"a": [null]} is not null, as in Qdrant). {"has_id": [...]} lists point ids (unsigned integers
// or UUID strings). {"nested": {"key", "filter"}} matches when one object element of the array at
// key satisfies the whole inner filter (inner keys are relative to the element). {"slice": {"total",
// "index"}} selects points with SipHash-2-4(id bytes) % total == index, as Qdrant 1.19 specifies.
// has_id and slice are rejected inside nested filters, where no id is in scope.
//
// Unsupported, rejected with errors wrapping ErrUnsupported: geo_bounding_box, geo_radius,
// geo_polygon, has_vector; text and geo payload indexes. Filters may nest at most 64 levels.
package filter
