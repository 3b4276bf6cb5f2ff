// The docs test (test/docs/README.md): the snippets of README.md and docs/*.md are compiled and
// linked into this program, which never calls them. Building it is the test.
int main() { return 0; }
