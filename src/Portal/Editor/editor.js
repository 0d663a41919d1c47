// The config editor: CodeMirror 6 with line numbers, YAML/JSON highlighting and the validation's errors marked at
// their line. Bundled into wwwroot/js/editor.js by scripts/build-editor.sh; Blazor drives it through
// window.fleetEditor (Features/Configs/Pages/CodeEditor.razor).
import { EditorState, Compartment, StateEffect, StateField, RangeSetBuilder } from "@codemirror/state";
import {
    EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, indentOnInput, bracketMatching } from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { yaml } from "@codemirror/lang-yaml";
import { json } from "@codemirror/lang-json";
import { setDiagnostics, lintGutter } from "@codemirror/lint";

const setErrorLines = StateEffect.define();

// Whole lines the validation named, marked with data-error-line so a person (and a test) finds them.
const errorLines = StateField.define({
    create: () => Decoration.none,
    update(value, tr) {
        value = value.map(tr.changes);
        for (const effect of tr.effects) {
            if (effect.is(setErrorLines)) {
                const builder = new RangeSetBuilder();
                for (const n of [...new Set(effect.value)].sort((a, b) => a - b)) {
                    if (n >= 1 && n <= tr.state.doc.lines) {
                        const line = tr.state.doc.line(n);
                        builder.add(line.from, line.from, Decoration.line({
                            class: "fleet-error-line", attributes: { "data-error-line": String(n) },
                        }));
                    }
                }
                value = builder.finish();
            }
        }
        return value;
    },
    provide: f => EditorView.decorations.from(f),
});

const editors = new WeakMap();

function languageOf(name) {
    return name === "Ignition" ? json() : yaml();
}

window.fleetEditor = {
    create(host, dotnet, source, language, readOnly, label) {
        const lang = new Compartment();
        const editable = new Compartment();
        let timer = 0;
        const view = new EditorView({
            parent: host,
            state: EditorState.create({
                doc: source,
                extensions: [
                    lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(),
                    indentOnInput(), bracketMatching(), lintGutter(), errorLines,
                    // Tokens get tok-* classes that app.css colours from the theme palette, so they keep their
                    // contrast in light and dark mode (the default style's colours are for a white background).
                    syntaxHighlighting(classHighlighter),
                    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
                    lang.of(languageOf(language)),
                    editable.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
                    EditorView.contentAttributes.of({ "aria-label": label }),
                    EditorView.updateListener.of(update => {
                        if (update.docChanged) {
                            // As the text field did: the page validates 400 ms after the last keystroke.
                            clearTimeout(timer);
                            timer = setTimeout(() => dotnet.invokeMethodAsync("Changed", view.state.doc.toString()), 400);
                        }
                    }),
                ],
            }),
        });
        editors.set(host, { view, lang });
    },
    setValue(host, source) {
        const editor = editors.get(host);
        if (editor && editor.view.state.doc.toString() !== source) {
            editor.view.dispatch({ changes: { from: 0, to: editor.view.state.doc.length, insert: source } });
        }
    },
    setLanguage(host, language) {
        const editor = editors.get(host);
        editor?.view.dispatch({ effects: editor.lang.reconfigure(languageOf(language)) });
    },
    // errors: [{ line, column, message }] as the validation located them (1-based).
    setErrors(host, errors) {
        const editor = editors.get(host);
        if (!editor) {
            return;
        }
        const doc = editor.view.state.doc;
        const diagnostics = errors.filter(e => e.line >= 1 && e.line <= doc.lines).map(e => {
            const line = doc.line(e.line);
            const from = Math.min(line.from + Math.max(0, (e.column || 1) - 1), line.to);
            return { from, to: line.to > from ? line.to : from, severity: "error", message: e.message };
        });
        editor.view.dispatch(setDiagnostics(editor.view.state, diagnostics));
        editor.view.dispatch({ effects: setErrorLines.of(errors.map(e => e.line)) });
    },
    focusLine(host, n) {
        const editor = editors.get(host);
        if (editor && n >= 1 && n <= editor.view.state.doc.lines) {
            const line = editor.view.state.doc.line(n);
            editor.view.dispatch({ selection: { anchor: line.from }, scrollIntoView: true });
            editor.view.focus();
        }
    },
    dispose(host) {
        editors.get(host)?.view.destroy();
        editors.delete(host);
    },
};
