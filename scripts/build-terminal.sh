#!/bin/sh
# Rebuilds src/Portal/wwwroot/js/terminal.js, the browser terminal's xterm.js bundle, from src/Portal/Terminal
# (package.json and package-lock.json pin every version). The bundle is checked in so `dotnet build` needs no
# network; run this after changing terminal.js or a version, and commit both. Needs Node.js 20 and the npm registry.
set -eu
cd "$(dirname "$0")/../src/Portal/Terminal"
npm ci --no-audit --no-fund
npx esbuild terminal.js --bundle --minify --format=iife --target=es2020 --loader:.css=text --legal-comments=eof \
    --banner:js="/* Fleet browser terminal. Bundles xterm.js 6 and its fit addon (MIT License, Copyright (c) 2017-2019, The xterm.js authors, Copyright (c) 2014-2016, SourceLair Private Company, Copyright (c) 2012-2013, Christopher Jeffrey; see src/Portal/Terminal/package.json for the packages and versions). */" \
    --outfile=../wwwroot/js/terminal.js
