#!/usr/bin/env python3
"""Writes every ```cpp block of a Markdown page as a C++ file, so the docs test compiles them.

Each C++ block (a fence tagged cpp or c++) becomes one translation unit, in one of three modes.
The mode is found from the code, or set with an HTML comment on the line right before the
fence (invisible when the page is rendered):

  <!-- snippet: fragment -->    statements, placed inside a function (the default when the
                                code has no `int main` and no top-level declaration)
  <!-- snippet: top-level -->   declarations at namespace scope (classes, functions); the
                                default when a line at column 0 starts a class, struct, enum,
                                union, namespace or template, or defines a function
  <!-- snippet: whole-file -->  a complete program with its own includes and main(), compiled
                                as it is into its own executable (the default with `int main`)

Fragments and top-level snippets get test/docs/snippet_prelude.hpp first: it includes
<pusher/pusher.hpp> and the standard headers the docs use, and defines the application's own
functions the docs call (show, mark_read, current_token, ...). A fragment runs inside a
function whose parameters provide the names the docs use without declaring them:

  pusher::Manager& manager, pusher::Manager& m          the application's Manager
  pusher::Options& options, pusher::Options& o          the Options it is being configured with
  pusher::Channel& channel, pusher::Channel& ch,
  pusher::Channel& chat, pusher::Channel& room          a subscribed channel
  const pusher::Event& event, const pusher::Event& whisper    an event received
  const pusher::AppEvent& app                           a decoded application event
  const std::string& token, const std::string& csrf     a bearer token and a CSRF token

The fragment sits in a block of its own inside that function, so it may declare the same
names itself (`pusher::Options options;`). Its `#include` lines are moved above the function.
Each snippet keeps its place in the page through `#line`: a compile error names the Markdown
file and line. Nothing is ever run: compiling and linking against the public API is the test.

Usage (test/docs/meson.build runs it):
  extract_snippets.py --list ROOT                   the pages (README.md, docs/*.md) as lines
                                                    `page <path>`, each followed by a line
                                                    `snippet <output file> <mode>` per snippet
  extract_snippets.py --write ROOT PAGE OUTPUT...   writes the files --list named for PAGE
"""

import os
import re
import sys

CPP_TAGS = {'cpp', 'c++'}
MODES = ('fragment', 'top-level', 'whole-file')
MARKER = re.compile(r'^\s*<!--\s*snippet:\s*([\w-]+)\s*-->\s*$')
FENCE = re.compile(r'^(\s*)(`{3,}|~{3,})\s*([^\s`]*)')

FRAGMENT_PARAMETERS = (
    'pusher::Manager& manager, pusher::Manager& m, '
    'pusher::Options& options, pusher::Options& o, '
    'pusher::Channel& channel, pusher::Channel& ch, pusher::Channel& chat, pusher::Channel& room, '
    'const pusher::Event& event, const pusher::Event& whisper, const pusher::AppEvent& app, '
    'const std::string& token, const std::string& csrf')

# A line at column 0 that only makes sense at namespace scope.
TOP_LEVEL_KEYWORD = re.compile(r'^(class|struct|enum|union|namespace|template)\b')
# A function definition at column 0: a return type, a name, parameters, then `{` or nothing
# (the brace on the next line), never `;`. Statements start with a keyword or hold `=` or `.`
# before the parenthesis, so they do not match.
CONTROL = re.compile(r'^(if|for|while|switch|return|else|do|case|catch|try|throw|delete|new)\b')
FUNCTION_DEFINITION = re.compile(
    r'^[A-Za-z_][\w:<>,*& ]*[\s*&]~?[A-Za-z_][\w:]*\s*\([^=;]*\)'
    r'\s*(const|noexcept|override|final|\s)*(->\s*[\w:<>*& ]+)?\s*\{?\s*$')
MAIN = re.compile(r'\bint\s+main\s*\(')
INCLUDE = re.compile(r'^\s*#\s*include\b')


class Snippet:
    def __init__(self, line, code, mode):
        self.line = line  # the page's line number of the first line of code (1-based)
        self.code = code  # the lines, without the fence's indentation
        self.mode = mode


def fail(message):
    sys.stderr.write('extract_snippets.py: ' + message + '\n')
    sys.exit(1)


def detect_mode(lines):
    if any(MAIN.search(line) for line in lines):
        return 'whole-file'
    for line in lines:
        if TOP_LEVEL_KEYWORD.match(line):
            return 'top-level'
        if not CONTROL.match(line) and FUNCTION_DEFINITION.match(line):
            return 'top-level'
    return 'fragment'


def read_snippets(page_path, display_name):
    with open(page_path, encoding='utf-8') as page:
        lines = page.read().split('\n')
    snippets = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, tag = match.group(1), match.group(2), match.group(3).lower()
        start = i + 1
        end = start
        closing = re.compile(r'^\s*' + re.escape(fence[0]) + '{' + str(len(fence)) + r',}\s*$')
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            fail('%s:%d: the fence is never closed' % (display_name, i + 1))
        if tag in CPP_TAGS:
            code = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[start:end]]
            marker = MARKER.match(lines[i - 1]) if i > 0 else None
            if marker:
                mode = marker.group(1)
                if mode not in MODES:
                    fail('%s:%d: unknown snippet mode "%s" (one of %s)' %
                         (display_name, i, mode, ', '.join(MODES)))
            else:
                mode = detect_mode(code)
            snippets.append(Snippet(start + 1, code, mode))
        i = end + 1
    return snippets


def slug(relative_page):
    return re.sub(r'[^A-Za-z0-9]', '_', relative_page)


def output_name(relative_page, index, mode):
    # A whole file becomes an executable of its own, so its name says so.
    suffix = '_main' if mode == 'whole-file' else ''
    return '%s_%02d%s.cpp' % (slug(relative_page), index + 1, suffix)


def c_string(text):
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


def render(snippet, relative_page, index, line_file):
    header = ('// Generated by test/docs/extract_snippets.py from %s:%d (%s). Edit the page, not '
              'this file.\n' % (relative_page, snippet.line - 1, snippet.mode))
    line_directive = '#line %d %s\n' % (snippet.line, c_string(line_file))
    if snippet.mode == 'whole-file':
        return header + line_directive + '\n'.join(snippet.code) + '\n'
    # Includes go above the wrapper; blank lines keep the other lines where they were.
    includes = [line for line in snippet.code if INCLUDE.match(line)]
    body = '\n'.join('' if INCLUDE.match(line) else line for line in snippet.code) + '\n'
    name = '%s_%02d' % (slug(relative_page), index + 1)
    out = [header, '#include "snippet_prelude.hpp"\n']
    out.extend(line + '\n' for line in includes)
    out.append('\nnamespace docs_snippets {\nnamespace %s {\n' % name)
    if snippet.mode == 'fragment':
        out.append('void snippet(%s) {\n{\n' % FRAGMENT_PARAMETERS)
        out.append(line_directive + body)
        out.append('}\n}\n')
    else:
        out.append(line_directive + body)
    out.append('}  // namespace %s\n}  // namespace docs_snippets\n' % name)
    return ''.join(out)


def pages(root):
    found = ['README.md'] if os.path.isfile(os.path.join(root, 'README.md')) else []
    docs = os.path.join(root, 'docs')
    if os.path.isdir(docs):
        found += ['docs/' + name for name in sorted(os.listdir(docs)) if name.endswith('.md')]
    return found


def write_output(path, text):
    # Always rewritten, even when unchanged: ninja would otherwise find the output older than
    # the page and run this again on every build.
    with open(path, 'w', encoding='utf-8') as out:
        out.write(text)


def main(argv):
    if len(argv) == 2 and argv[0] == '--list':
        root = argv[1]
        for relative_page in pages(root):
            print('page', relative_page)
            snippets = read_snippets(os.path.join(root, relative_page), relative_page)
            for index, snippet in enumerate(snippets):
                print('snippet', output_name(relative_page, index, snippet.mode), snippet.mode)
        return
    if len(argv) < 4 or argv[0] != '--write':
        fail('usage: --list ROOT | --write ROOT PAGE OUTPUT...')
    root, page, outputs = argv[1], argv[2], argv[3:]
    relative_page = os.path.relpath(os.path.abspath(page), os.path.abspath(root))
    relative_page = relative_page.replace(os.sep, '/')
    snippets = read_snippets(page, relative_page)
    names = [output_name(relative_page, i, s.mode) for i, s in enumerate(snippets)]
    if [os.path.basename(o) for o in outputs] != names:
        fail('%s: its C++ snippets changed in number or kind since Meson configured the build; '
             'run `meson setup --reconfigure` on the build directory' % relative_page)
    for index, (output, snippet) in enumerate(zip(outputs, snippets)):
        write_output(output, render(snippet, relative_page, index, page))

if __name__ == '__main__':
    main(sys.argv[1:])
