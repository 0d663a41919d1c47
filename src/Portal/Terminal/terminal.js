// The browser terminal: xterm.js sized to its box, keystrokes to Blazor, shell output from it. Bundled into
// wwwroot/js/terminal.js by scripts/build-terminal.sh; Blazor drives it through window.fleetTerminal
// (Features/Terminal/TerminalDialog.razor). xterm's stylesheet comes in the bundle as text and is added once.
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import css from "@xterm/xterm/css/xterm.css";

const terminals = new Map();

function addStyle() {
    if (!document.getElementById("fleet-xterm-css")) {
        const style = document.createElement("style");
        style.id = "fleet-xterm-css";
        style.textContent = css;
        document.head.appendChild(style);
    }
}

window.fleetTerminal = {
    // Opens a terminal in host; keystrokes go to dotnet.Input(text). Returns its size, { columns, rows }.
    create(host, dotnet) {
        addStyle();
        const term = new Terminal({
            cursorBlink: true,
            convertEol: false,
            scrollback: 2000,
            fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
            fontSize: 14,
        });
        const fit = new FitAddon();
        term.loadAddon(fit);
        term.open(host);
        try {
            fit.fit();
        } catch {
            // A host with no size yet keeps xterm's default 80 x 24.
        }
        term.onData(data => dotnet.invokeMethodAsync("Input", data));
        terminals.set(host, term);
        term.focus();
        return { columns: term.cols, rows: term.rows };
    },
    write(host, text) {
        terminals.get(host)?.write(text);
    },
    // The session ended: no more keystrokes are taken.
    end(host, message) {
        const term = terminals.get(host);
        if (term) {
            term.write("\r\n\x1b[2m[" + message + "]\x1b[0m\r\n");
            term.options.disableStdin = true;
        }
    },
    dispose(host) {
        terminals.get(host)?.dispose();
        terminals.delete(host);
    },
};
