package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

var fieldConditionKeys = []string{"key", "match", "range", "values_count", "is_empty", "is_null",
	"geo_bounding_box", "geo_radius", "geo_polygon"}

// field parses a FieldCondition: "key" plus exactly one check.
func (p parser) field(path string, obj map[string]any) (cond, error) {
	if err := onlyKeys(path, obj, "field condition", fieldConditionKeys...); err != nil {
		return nil, err
	}
	key, kp, err := p.key(path, obj["key"])
	if err != nil {
		return nil, err
	}
	var set []string
	for _, k := range fieldConditionKeys[1:] {
		if obj[k] != nil {
			set = append(set, k)
		}
	}
	switch len(set) {
	case 0:
		return nil, invalidf(path, fmt.Sprintf("field condition on %q has no check; give one of match, range, values_count, is_empty, is_null", key))
	case 1:
	default:
		return nil, invalidf(path, fmt.Sprintf("field condition on %q has both %q and %q; use one check per condition and combine conditions with must/should",
			key, set[0], set[1]))
	}
	c := &fieldCond{key: key, path: kp}
	which := set[0]
	v := obj[which]
	path += "." + which
	switch which {
	case "match":
		err = p.match(path, v, c)
	case "range":
		err = p.rangeBounds(path, v, c)
	case "values_count":
		err = p.valuesCount(path, v, c)
	case "is_empty", "is_null":
		b, ok := v.(bool)
		if !ok {
			return nil, invalidf(path, "must be a boolean, got "+describe(v))
		}
		c.kind, c.flag = kindIsEmptyFlag, b
		if which == "is_null" {
			c.kind = kindIsNullFlag
		}
	default:
		return nil, unsupported(path, "geo conditions are not supported")
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

var matchKeys = []string{"value", "any", "except", "text", "text_any", "phrase", "prefix"}

func (p parser) match(path string, v any, c *fieldCond) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return invalidf(path, "must be an object such as {\"value\": ...}, got "+describe(v))
	}
	if err := onlyKeys(path, obj, "match", matchKeys...); err != nil {
		return err
	}
	n := 0
	for _, x := range obj {
		if x != nil {
			n++
		}
	}
	if n != 1 {
		return invalidf(path, "must have exactly one of "+strings.Join(matchKeys, ", "))
	}
	for k, x := range obj {
		if x == nil {
			continue
		}
		switch k {
		case "value":
			switch y := x.(type) {
			case string:
				c.kind, c.str = kindMatchString, y
			case bool:
				c.kind, c.flag = kindMatchBool, y
			case json.Number:
				n, err := strconv.ParseInt(string(y), 10, 64)
				if err != nil {
					return invalidf(path, `"value" must be a string, an integer or a boolean; got the non-integer number `+truncate(string(y)))
				}
				c.kind, c.i64 = kindMatchInt, n
			default:
				return invalidf(path, `"value" must be a string, an integer or a boolean, got `+describe(x))
			}
		case "any", "except":
			return p.anyList(path, k, x, c)
		case "text", "text_any", "phrase", "prefix":
			s, ok := x.(string)
			if !ok {
				return invalidf(path, fmt.Sprintf("%q must be a string, got %s", k, describe(x)))
			}
			c.str = s
			switch k {
			case "text":
				c.kind = kindText
			case "text_any":
				c.kind, c.tokens = kindTextAny, strings.Fields(s)
			case "phrase":
				c.kind = kindPhrase
			case "prefix":
				c.kind = kindPrefix
			}
		}
	}
	return nil
}

// anyList parses the array of match any / except: all strings or all integers.
func (p parser) anyList(path, k string, x any, c *fieldCond) error {
	list, ok := x.([]any)
	bad := invalidf(path, fmt.Sprintf("%q must be an array of strings or an array of integers", k))
	if !ok {
		return bad
	}
	isExcept := k == "except"
	c.kind = kindAnyString
	if isExcept {
		c.kind = kindExceptString
	}
	if len(list) == 0 {
		return nil
	}
	if _, ok := list[0].(string); ok {
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return bad
			}
			c.strs = append(c.strs, s)
		}
		if len(c.strs) > setThreshold {
			c.strSet = make(map[string]struct{}, len(c.strs))
			for _, s := range c.strs {
				c.strSet[s] = struct{}{}
			}
		}
		return nil
	}
	c.kind = kindAnyInt
	if isExcept {
		c.kind = kindExceptInt
	}
	for _, e := range list {
		num, ok := e.(json.Number)
		if !ok {
			return bad
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return bad
		}
		c.ints = append(c.ints, n)
	}
	if len(c.ints) > setThreshold {
		c.intSet = make(map[int64]struct{}, len(c.ints))
		for _, n := range c.ints {
			c.intSet[n] = struct{}{}
		}
	}
	return nil
}

var boundKeys = []string{"gt", "gte", "lt", "lte"}

// rangeBounds parses a Range (number bounds) or a DatetimeRange (string bounds).
func (p parser) rangeBounds(path string, v any, c *fieldCond) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return invalidf(path, "must be an object with gt, gte, lt, lte, got "+describe(v))
	}
	if err := onlyKeys(path, obj, "range", boundKeys...); err != nil {
		return err
	}
	var nums, times int
	for _, k := range boundKeys {
		switch obj[k].(type) {
		case nil:
		case json.Number:
			nums++
		case string:
			times++
		default:
			return invalidf(path, fmt.Sprintf("%q must be a number or a datetime string, got %s", k, describe(obj[k])))
		}
	}
	if nums > 0 && times > 0 {
		return invalidf(path, "bounds must be all numbers or all datetime strings, not a mix")
	}
	if times == 0 {
		c.kind = kindRange
		for _, k := range boundKeys {
			n, ok := obj[k].(json.Number)
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.IsInf(f, 0) {
				return invalidf(path, fmt.Sprintf("%q must be a number within float64 range, got %s", k, truncate(string(n))))
			}
			switch k {
			case "gt":
				c.num.gt, c.num.hasGt = f, true
			case "gte":
				c.num.gte, c.num.hasGte = f, true
			case "lt":
				c.num.lt, c.num.hasLt = f, true
			case "lte":
				c.num.lte, c.num.hasLte = f, true
			}
		}
		return nil
	}
	c.kind = kindDatetimeRange
	for _, k := range boundKeys {
		s, ok := obj[k].(string)
		if !ok {
			continue
		}
		us, ok := parseDatetime(s)
		if !ok {
			return invalidf(path, fmt.Sprintf("%q must be a number or a datetime (RFC 3339, or \"YYYY-MM-DD[ HH:MM[:SS]]\"), got %q", k, truncate(s)))
		}
		switch k {
		case "gt":
			c.dt.gt, c.dt.hasGt = us, true
		case "gte":
			c.dt.gte, c.dt.hasGte = us, true
		case "lt":
			c.dt.lt, c.dt.hasLt = us, true
		case "lte":
			c.dt.lte, c.dt.hasLte = us, true
		}
	}
	return nil
}

func (p parser) valuesCount(path string, v any, c *fieldCond) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return invalidf(path, "must be an object with gt, gte, lt, lte, got "+describe(v))
	}
	if err := onlyKeys(path, obj, "values_count", boundKeys...); err != nil {
		return err
	}
	c.kind = kindValuesCount
	for _, k := range boundKeys {
		if obj[k] == nil {
			continue
		}
		n, ok := uintValue(obj[k])
		if !ok {
			return invalidf(path, fmt.Sprintf("%q must be a non-negative integer, got %s", k, describe(obj[k])))
		}
		switch k {
		case "gt":
			c.count.gt, c.count.hasGt = n, true
		case "gte":
			c.count.gte, c.count.hasGte = n, true
		case "lt":
			c.count.lt, c.count.hasLt = n, true
		case "lte":
			c.count.lte, c.count.hasLte = n, true
		}
	}
	return nil
}
