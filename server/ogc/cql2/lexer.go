package cql2

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"citymap/invalid"
)

// The codes of the *invalid.Error (on the field "filter") that a filter the
// package cannot accept comes back as: malformed, or well formed but beyond
// what is supported, or past one of the limits (MaxConditions and the others),
// which clients may want to tell apart.
const (
	CodeInvalid     = "invalid_filter"
	CodeUnsupported = "unsupported_filter"
	CodeTooComplex  = "filter_too_complex"
)

// filterError builds the error; pos is the 1-based character position of the
// problem in the filter text, 0 when it is not at one place (most compile
// errors).
func filterError(code string, pos int, msg string) *invalid.Error {
	if pos > 0 {
		msg = fmt.Sprintf("at character %d: %s", pos, msg)
	}
	return &invalid.Error{Field: "filter", Code: code, Message: msg}
}

func errorf(pos int, format string, args ...any) *invalid.Error {
	return filterError(CodeInvalid, pos, fmt.Sprintf(format, args...))
}

func tooComplex(pos int, format string, args ...any) *invalid.Error {
	return filterError(CodeTooComplex, pos, fmt.Sprintf(format, args...))
}

func unsupported(pos int, format string, args ...any) *invalid.Error {
	return filterError(CodeUnsupported, pos, "not supported: "+fmt.Sprintf(format, args...))
}

type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokIdent            // name or keyword; quoted names are never keywords
	tokString           // 'text' with '' for a quote
	tokNumber           // 12, -3.5, 1e6
	tokLParen
	tokRParen
	tokComma
	tokOp // = <> < <= > >= and the unsupported + - * / % !=
)

type token struct {
	kind   tokenKind
	text   string // the identifier, the string's value, the number or the operator
	pos    int    // 1-based character position
	quoted bool   // a "double-quoted" identifier
}

// keyword reports whether t is the unquoted keyword kw (case-insensitive).
func (t token) keyword(kw string) bool {
	return t.kind == tokIdent && !t.quoted && strings.EqualFold(t.text, kw)
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return fmt.Sprintf("string '%s'", t.text)
	case tokIdent:
		return fmt.Sprintf("%q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// lex splits the filter into tokens. Positions count characters, not bytes, so
// that they match what a client sees in its own (often Chinese) filter text.
func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	var toks []token
	for {
		t, err := l.next(toks)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tokEOF {
			return toks, nil
		}
	}
}

type lexer struct {
	src string
	off int // byte offset
	pos int // characters consumed
}

func (l *lexer) peek() rune {
	if l.off >= len(l.src) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return r
}

func (l *lexer) peekAt(n int) rune {
	off := l.off
	for range n {
		if off >= len(l.src) {
			return 0
		}
		_, size := utf8.DecodeRuneInString(l.src[off:])
		off += size
	}
	if off >= len(l.src) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(l.src[off:])
	return r
}

func (l *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	l.pos++
	return r
}

func (l *lexer) next(prev []token) (token, error) {
	for l.off < len(l.src) && unicode.IsSpace(l.peek()) {
		l.advance()
	}
	start := l.pos + 1
	if l.off >= len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	r := l.peek()
	switch {
	case r == '\'':
		return l.str(start)
	case r == '"':
		return l.quotedIdent(start)
	case isDigit(r) || (r == '.' && isDigit(l.peekAt(1))):
		return l.number(start)
	case (r == '-' || r == '+') && l.signStartsNumber(prev):
		return l.number(start)
	case isIdentStart(r):
		return l.ident(start), nil
	}
	return l.punct(start)
}

// signStartsNumber decides whether a sign belongs to a number: "-3" after an
// operator, a comma, a parenthesis or a space is negative three, while "a-3" is
// arithmetic (which is not supported and is reported as such).
func (l *lexer) signStartsNumber(prev []token) bool {
	n := l.peekAt(1)
	if !isDigit(n) && !(n == '.' && isDigit(l.peekAt(2))) {
		return false
	}
	if len(prev) == 0 {
		return true
	}
	last := prev[len(prev)-1]
	switch last.kind {
	case tokOp, tokComma, tokLParen:
		return true
	}
	// a value just before: a sign is only a sign when separated by a space
	return l.off > 0 && unicode.IsSpace(rune(l.src[l.off-1]))
}

func (l *lexer) str(start int) (token, error) {
	l.advance() // opening quote
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, errorf(start, "unterminated string")
		}
		r := l.advance()
		if r == '\'' {
			if l.peek() == '\'' {
				l.advance()
				b.WriteRune('\'')
				continue
			}
			return token{kind: tokString, text: b.String(), pos: start}, nil
		}
		b.WriteRune(r)
	}
}

func (l *lexer) quotedIdent(start int) (token, error) {
	l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return token{}, errorf(start, "unterminated quoted property name")
		}
		r := l.advance()
		if r == '"' {
			if l.peek() == '"' {
				l.advance()
				b.WriteRune('"')
				continue
			}
			if b.Len() == 0 {
				return token{}, errorf(start, "empty property name")
			}
			return token{kind: tokIdent, text: b.String(), pos: start, quoted: true}, nil
		}
		b.WriteRune(r)
	}
}

func (l *lexer) number(start int) (token, error) {
	from := l.off
	if r := l.peek(); r == '-' || r == '+' {
		l.advance()
	}
	l.digits()
	if l.peek() == '.' {
		l.advance()
		l.digits()
	}
	if r := l.peek(); r == 'e' || r == 'E' {
		l.advance()
		if r := l.peek(); r == '-' || r == '+' {
			l.advance()
		}
		if !isDigit(l.peek()) {
			return token{}, errorf(start, "malformed number %q", l.src[from:l.off])
		}
		l.digits()
	}
	if isIdentStart(l.peek()) {
		return token{}, errorf(start, "malformed number %q", l.src[from:l.off]+string(l.peek()))
	}
	return token{kind: tokNumber, text: l.src[from:l.off], pos: start}, nil
}

func (l *lexer) digits() {
	for isDigit(l.peek()) {
		l.advance()
	}
}

func (l *lexer) ident(start int) token {
	from := l.off
	for l.off < len(l.src) && isIdentPart(l.peek()) {
		l.advance()
	}
	return token{kind: tokIdent, text: l.src[from:l.off], pos: start}
}

func (l *lexer) punct(start int) (token, error) {
	r := l.advance()
	switch r {
	case '(':
		return token{kind: tokLParen, text: "(", pos: start}, nil
	case ')':
		return token{kind: tokRParen, text: ")", pos: start}, nil
	case ',':
		return token{kind: tokComma, text: ",", pos: start}, nil
	case '=', '+', '-', '*', '/', '%':
		return token{kind: tokOp, text: string(r), pos: start}, nil
	case '<':
		if n := l.peek(); n == '=' || n == '>' {
			l.advance()
			return token{kind: tokOp, text: "<" + string(n), pos: start}, nil
		}
		return token{kind: tokOp, text: "<", pos: start}, nil
	case '>':
		if l.peek() == '=' {
			l.advance()
			return token{kind: tokOp, text: ">=", pos: start}, nil
		}
		return token{kind: tokOp, text: ">", pos: start}, nil
	case '!':
		if l.peek() == '=' {
			l.advance()
			return token{kind: tokOp, text: "!=", pos: start}, nil
		}
	}
	return token{}, errorf(start, "unexpected character %q", r)
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// CQL2 identifiers start with a letter, '_' or ':' and go on with those, digits
// and '.'; letters include non-ASCII ones.
func isIdentStart(r rune) bool { return r == '_' || r == ':' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool { return isIdentStart(r) || isDigit(r) || r == '.' }
