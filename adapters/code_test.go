package adapters

import (
	"encoding/json"
	"testing"
)

func TestCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Code
	}{
		{`{"errcode":0}`, Code{0, true}},
		{`{"errcode":"0"}`, Code{0, true}},
		{`{"errcode":" 45009 "}`, Code{45009, true}},
		{`{"errcode":-1}`, Code{-1, true}},
		{`{"errcode":"-1"}`, Code{-1, true}},
		{`{}`, Code{}},
		{`{"errcode":null}`, Code{}},
		{`{"errcode":""}`, Code{}},
		{`{"errcode":"ok"}`, Code{}},
		{`{"errcode":1.5}`, Code{}},
		{`{"errcode":true}`, Code{}},
		{`{"errcode":{"a":1}}`, Code{}},
	}
	for _, tc := range tests {
		var a struct {
			ErrCode Code   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal([]byte(tc.in), &a); err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if a.ErrCode != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.in, a.ErrCode, tc.want)
		}
	}
}
