/** JSONata highlighting for CodeMirror: a small stream tokenizer (enough for colour;
 * the syntax check is the real `jsonata` parser, see lib/expressions). */
import { HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

const KEYWORDS = new Set(["and", "or", "in", "true", "false", "null", "function"]);

export const jsonataLanguage = StreamLanguage.define<{ comment: boolean }>({
  name: "jsonata",
  startState: () => ({ comment: false }),
  token(stream, state) {
    if (state.comment) {
      if (stream.skipTo("*/")) {
        stream.next();
        stream.next();
        state.comment = false;
      } else stream.skipToEnd();
      return "comment";
    }
    if (stream.eatSpace()) return null;
    if (stream.match("/*")) {
      state.comment = true;
      return "comment";
    }
    const ch = stream.peek();
    if (ch === '"' || ch === "'") {
      stream.next();
      let escaped = false;
      for (let c = stream.next(); c !== undefined; c = stream.next()) {
        if (c === ch && !escaped) break;
        escaped = !escaped && c === "\\";
      }
      return "string";
    }
    if (ch === "`") {
      stream.next();
      if (stream.skipTo("`")) stream.next();
      else stream.skipToEnd();
      return "propertyName";
    }
    if (stream.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?/)) return "number";
    if (stream.match(/^\$[A-Za-z_][\w]*(?=\s*\()/)) return "function";
    if (stream.match(/^\$[A-Za-z_]*\w*/)) return "variableName";
    if (stream.match(/^[A-Za-z_][\w]*(?=\s*\()/)) return "function";
    const word = stream.match(/^[A-Za-z_][\w]*/);
    if (word) {
      const text = (word as RegExpMatchArray)[0];
      if (KEYWORDS.has(text)) return text === "true" || text === "false" || text === "null" ? "atom" : "keyword";
      return "propertyName";
    }
    if (stream.match(/^(:=|!=|>=|<=|==|~>|\?:|\?\?|\.\.|[=<>&+\-*/%!?:~^])/)) return "operator";
    stream.next();
    return "punctuation";
  },
  tokenTable: { function: t.function(t.variableName) },
});

export const jsonataHighlight = syntaxHighlighting(
  HighlightStyle.define([
    { tag: t.string, class: "tok-string" },
    { tag: t.number, class: "tok-number" },
    { tag: t.atom, class: "tok-atom" },
    { tag: t.keyword, class: "tok-keyword" },
    { tag: t.function(t.variableName), class: "tok-function" },
    { tag: t.variableName, class: "tok-variable" },
    { tag: t.propertyName, class: "tok-property" },
    { tag: t.operator, class: "tok-operator" },
    { tag: t.comment, class: "tok-comment" },
  ]),
);
