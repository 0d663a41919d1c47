#!/bin/sh
# Rebuilds src/Portal/wwwroot/js/editor.js, the config editor's CodeMirror 6 bundle, from src/Portal/Editor
# (package.json and package-lock.json pin every version). The bundle is checked in so `dotnet build` needs no
# network; run this after changing editor.js or a version, and commit both. Needs Node.js 20 and the npm registry.
set -eu
cd "$(dirname "$0")/../src/Portal/Editor"
npm ci --no-audit --no-fund
npx esbuild editor.js --bundle --minify --format=iife --target=es2020 --legal-comments=eof \
    --banner:js="/* Fleet config editor. Bundles CodeMirror 6 (MIT License, Copyright (C) 2018-2021 by Marijn Haverbeke and others; see src/Portal/Editor/package.json for the packages and versions) and Lezer (MIT). */" \
    --outfile=../wwwroot/js/editor.js
