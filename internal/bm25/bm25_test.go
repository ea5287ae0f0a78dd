package bm25

import (
	"hash/fnv"
	"math"
	"testing"
)

func TestPorterStemmer(t *testing.T) {
	// Examples from Porter's paper and the reference vocabulary.
	cases := map[string]string{
		"caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat",
		"feed": "feed", "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor", "sing": "sing",
		"conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan",
		"falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail", "filing": "file",
		"happy": "happi", "sky": "sky", "relational": "relat", "conditional": "condit", "rational": "ration",
		"valenci": "valenc", "digitizer": "digit", "conformabli": "conform", "radicalli": "radic",
		"differentli": "differ", "vileli": "vile", "analogousli": "analog", "vietnamization": "vietnam",
		"predication": "predic", "operator": "oper", "feudalism": "feudal", "decisiveness": "decis",
		"hopefulness": "hope", "callousness": "callous", "formaliti": "formal", "sensitiviti": "sensit",
		"sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form", "formalize": "formal",
		"electriciti": "electr", "electrical": "electr", "hopeful": "hope", "goodness": "good",
		"revival": "reviv", "allowance": "allow", "inference": "infer", "airliner": "airlin",
		"gyroscopic": "gyroscop", "adjustable": "adjust", "defensible": "defens", "irritant": "irrit",
		"replacement": "replac", "adjustment": "adjust", "dependent": "depend", "adoption": "adopt",
		"homologou": "homolog", "communism": "commun", "activate": "activ", "angulariti": "angular",
		"homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat",
		"rate": "rate", "cease": "ceas", "controll": "control", "roll": "roll", "generalizations": "gener",
		"running": "run", "runs": "run",
	}
	for in, want := range cases {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokensAndVectors(t *testing.T) {
	toks := Tokens("The Quick brown foxes, JUMPING over the lazy dogs! 42")
	want := []string{"quick", "brown", "fox", "jump", "lazi", "dog", "42"}
	if len(toks) != len(want) {
		t.Fatalf("tokens %v", toks)
	}
	for i := range want {
		if toks[i] != want[i] {
			t.Fatalf("tokens %v, want %v", toks, want)
		}
	}
	o := DefaultOptions()
	idx, val := Document("dog dog cat", o)
	if len(idx) != 2 {
		t.Fatalf("document vector %v %v", idx, val)
	}
	norm := o.K * (1 - o.B + o.B*3/o.AvgLen)
	for i, ix := range idx {
		tf := 1.0
		if ix == Index("dog") {
			tf = 2
		}
		if math.Abs(float64(val[i])-tf*(o.K+1)/(tf+norm)) > 1e-6 {
			t.Fatalf("value of %d = %v", ix, val[i])
		}
	}
	qi, qv := Query("Dogs and dogs")
	if len(qi) != 1 || qi[0] != Index("dog") || qv[0] != 1 {
		t.Fatalf("query vector %v %v", qi, qv)
	}
}

// TestIndexIsFNV1a: term indices are stored in segments, so Index must stay FNV-1a (32 bit).
func TestIndexIsFNV1a(t *testing.T) {
	for _, term := range []string{"", "a", "appl", "naïve", "running-shoes"} {
		h := fnv.New32a()
		h.Write([]byte(term))
		if got := Index(term); got != h.Sum32() {
			t.Errorf("Index(%q) = %d, FNV-1a %d", term, got, h.Sum32())
		}
	}
}
