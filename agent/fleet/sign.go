package fleet

// Signed commands.
//
// A command is signed over its canonical form: the command's JSON object
// without its top-level "signature" member, with
//
//   - object keys sorted by their UTF-8 bytes, at every depth, each once
//     (a command with a repeated key is refused);
//   - no whitespace between tokens;
//   - strings as UTF-8 as they are, escaping only `"` and `\` (as \" and \\),
//     \b \f \n \r \t, and the other characters U+0000-U+001F and U+007F as
//     \u00xx (lower-case hex); invalid UTF-8 becomes U+FFFD;
//   - numbers as the shortest decimal that reads back as the same IEEE-754
//     double: plain digits ("100", "0.25", "0.0001") unless the decimal
//     exponent is below -4 or the integer part would need more than 15 zeros
//     beyond the significant digits, then d.ddde±XX ("1e+20", "1.5e-07");
//     -0 stays "-0";
//   - true, false and null as themselves, no trailing newline.
//
// This is exactly what `jq -cjS 'del(.signature)'` prints with jq 1.6, and
// with later jq versions whenever the command's numbers are already written
// this way (integers below 1e17 and plain decimals are). The "signature"
// member is the standard base64 of the whole minisign signature file, so a
// user can sign by hand:
//
//	jq -cjS 'del(.signature)' cmd.json > cmd.canon
//	minisign -S -s key.key -m cmd.canon          # writes cmd.canon.minisig
//	jq --arg s "$(base64 -w0 cmd.canon.minisig)" '.signature=$s' cmd.json
//
// The trusted comment is free (minisign's default timestamp is fine); the
// signature covers the whole command, id and expiry included.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/axle-edge/axle/trust"
)

// ErrUnsigned is returned (wrapped) by VerifyCommand for a command without
// a signature.
var ErrUnsigned = errors.New("fleet: command is not signed")

// maxCommandDepth bounds nesting in a command, so canonicalising cannot
// recurse without limit.
const maxCommandDepth = 64

// CanonicalCommand returns the canonical form of the command JSON raw (see
// the package comment on signed commands): the bytes a signature covers.
func CanonicalCommand(raw []byte) ([]byte, error) {
	if len(raw) > MaxCommandBytes {
		return nil, fmt.Errorf("fleet: command is %d bytes, limit %d", len(raw), MaxCommandBytes)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out bytes.Buffer
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("fleet: canonical command: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("fleet: canonical command: not a JSON object")
	}
	if err := canonObject(d, &out, "", 1, true); err != nil {
		return nil, fmt.Errorf("fleet: canonical command: %w", err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("fleet: canonical command: trailing data after the JSON object")
	}
	return out.Bytes(), nil
}

// canonObject writes the object whose '{' has been read; top drops the
// top-level "signature" member.
func canonObject(d *json.Decoder, out *bytes.Buffer, path string, depth int, top bool) error {
	type member struct {
		key string
		val []byte
	}
	var ms []member
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return err
		}
		key := kt.(string)
		p := path + "." + key
		if slices.ContainsFunc(ms, func(m member) bool { return m.key == key }) {
			return fmt.Errorf("key %q given twice", strings.TrimPrefix(p, "."))
		}
		var v bytes.Buffer
		if err := canonValue(d, &v, p, depth); err != nil {
			return err
		}
		if top && key == "signature" {
			continue
		}
		ms = append(ms, member{key, v.Bytes()})
	}
	if _, err := d.Token(); err != nil {
		return err
	}
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
	out.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			out.WriteByte(',')
		}
		canonString(out, m.key)
		out.WriteByte(':')
		out.Write(m.val)
	}
	out.WriteByte('}')
	return nil
}

func canonValue(d *json.Decoder, out *bytes.Buffer, path string, depth int) error {
	if depth > maxCommandDepth {
		return fmt.Errorf("%s: nested deeper than %d", strings.TrimPrefix(path, "."), maxCommandDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return canonObject(d, out, path, depth+1, false)
		}
		out.WriteByte('[')
		for i := 0; d.More(); i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := canonValue(d, out, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
				return err
			}
		}
		if _, err := d.Token(); err != nil {
			return err
		}
		out.WriteByte(']')
	case string:
		canonString(out, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%s: number %s: %w", strings.TrimPrefix(path, "."), v, err)
		}
		out.WriteString(canonNumber(f))
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case nil:
		out.WriteString("null")
	}
	return nil
}

func canonString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	for _, r := range s { // ranging over invalid UTF-8 yields U+FFFD
		switch {
		case r == '"':
			out.WriteString(`\"`)
		case r == '\\':
			out.WriteString(`\\`)
		case r == '\b':
			out.WriteString(`\b`)
		case r == '\f':
			out.WriteString(`\f`)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
	}
	out.WriteByte('"')
}

func canonNumber(f float64) string {
	switch {
	case f == 0 && math.Signbit(f):
		return "-0"
	case f == 0:
		return "0"
	case math.IsInf(f, 0): // out of range literals: jq prints the largest double
		return canonNumber(math.Copysign(math.MaxFloat64, f))
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := x + 1 // position of the decimal point after the first digit
	switch {
	case decpt <= -4 || decpt > len(digits)+15:
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		return fmt.Sprintf("%s%se%+03d", sign, m, x)
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits))
	default:
		return sign + digits[:decpt] + "." + digits[decpt:]
	}
}

// SignCommand signs cmd with sk and returns the command's JSON with its
// "signature" member set, ready to publish.
func SignCommand(cmd Command, sk trust.SecretKey) ([]byte, error) {
	cmd.Signature = ""
	raw, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("fleet: sign command: %w", err)
	}
	canon, err := CanonicalCommand(raw)
	if err != nil {
		return nil, err
	}
	sig, err := trust.Sign(sk, canon, "axle command id:"+strconv.Quote(cmd.ID))
	if err != nil {
		return nil, fmt.Errorf("fleet: sign command %q: %w", cmd.ID, err)
	}
	cmd.Signature = base64.StdEncoding.EncodeToString(sig)
	out, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("fleet: sign command: %w", err)
	}
	return out, nil
}

// VerifyCommand checks the signature of the command JSON raw against kr and
// returns the signing key's id. An unsigned command gives ErrUnsigned; one
// signed by a key outside kr gives an error wrapping trust.ErrUntrustedKey
// that names the key id.
func VerifyCommand(raw []byte, kr *trust.Keyring) (keyID string, err error) {
	canon, err := CanonicalCommand(raw)
	if err != nil {
		return "", err
	}
	var env struct {
		Signature *string `json:"signature"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", fmt.Errorf("fleet: command field \"signature\": %w", err)
	}
	if env.Signature == nil || *env.Signature == "" {
		return "", ErrUnsigned
	}
	if len(*env.Signature) > base64.StdEncoding.EncodedLen(trust.MaxSignatureBytes) {
		return "", fmt.Errorf("fleet: command field \"signature\": %d bytes, limit %d", len(*env.Signature), base64.StdEncoding.EncodedLen(trust.MaxSignatureBytes))
	}
	sig, err := base64.StdEncoding.DecodeString(*env.Signature)
	if err != nil {
		return "", fmt.Errorf("fleet: command field \"signature\": want the base64 of a minisign signature file: %w", err)
	}
	keyID, _, err = kr.Verify(canon, sig)
	if err != nil {
		return keyID, fmt.Errorf("fleet: command signature: %w", err)
	}
	return keyID, nil
}
