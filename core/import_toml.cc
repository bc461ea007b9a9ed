/* toml++ behind a C function (see import_toml.h): parse a TOML document
 * and copy it into a plain C tree with the line of every key and value,
 * table members in document order. */
#include "config.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

/* toml++ 3.3 asserts preconditions some inputs break (a table header
 * that starts with '/' trips parse_key()'s), then handles them as errors.
 * An assertion must not abort `saba-agent import`: a failed one is noted,
 * and the input is refused once toml++ returns.  NDEBUG stays undefined,
 * so the assertions never turn into optimizer assumptions. */
static thread_local bool saba_toml_check_failed;
static inline void saba_toml_check(bool ok) noexcept
{
	if (!ok)
		saba_toml_check_failed = true;
}
#define TOML_ASSERT(expr)                                                                          \
	(__builtin_is_constant_evaluated() ? static_cast<void>(0)                                  \
					   : saba_toml_check(static_cast<bool>(expr)))

#include <toml++/toml.h>

#include "import_toml.h"

namespace
{

/* Deeper than any mackerel-agent config (plugin.checks.NAME.action.env is
 * five levels); the limit keeps the copy's recursion bounded. */
constexpr int max_depth = 32;

/* toml++ bounds the nesting of arrays and inline tables (256), but not the
 * parts of a dotted key, and it walks and frees tables recursively: a key
 * of a million parts overflows the stack.  Keys of more parts than this are
 * refused before toml++ sees them. */
constexpr int max_key_dots = 16;

/* Real configs hold a few hundred values; far more is no config to import,
 * and the saba-agent config written from it would take libconfig (which
 * checks names one by one) minutes. */
constexpr size_t max_values = 20000;

struct failure {
	std::string message;
	int line;
};

void free_tree(saba_toml *t)
{
	if (t == nullptr)
		return;
	for (size_t i = 0; i < t->n; i++)
		free_tree(t->kids[i]);
	std::free(t->kids);
	std::free(t->key);
	std::free(t->text);
	std::free(t);
}

char *copy_bytes(std::string_view s)
{
	char *p = static_cast<char *>(std::malloc(s.size() + 1));

	if (p == nullptr)
		throw std::bad_alloc();
	std::memcpy(p, s.data(), s.size());
	p[s.size()] = '\0';
	return p;
}

saba_toml *new_node(int line)
{
	saba_toml *t = static_cast<saba_toml *>(std::calloc(1, sizeof(saba_toml)));

	if (t == nullptr)
		throw std::bad_alloc();
	t->line = line;
	return t;
}

int line_of(const toml::source_region &r)
{
	return r.begin.line > 0 && r.begin.line <= 0x7fffffff ? static_cast<int>(r.begin.line) : 0;
}

/* Hand the kids over as one exactly sized array. */
void set_kids(saba_toml *parent, std::vector<saba_toml *> &kids)
{
	if (kids.empty())
		return;
	parent->kids = static_cast<saba_toml **>(std::malloc(kids.size() * sizeof(saba_toml *)));
	if (parent->kids == nullptr)
		throw std::bad_alloc();
	std::copy(kids.begin(), kids.end(), parent->kids);
	parent->n = kids.size();
	kids.clear();
}

/* Kids not yet handed over are freed if the copy fails half-way. */
struct kid_list {
	std::vector<saba_toml *> v;
	~kid_list()
	{
		for (saba_toml *t : v)
			free_tree(t);
	}
};

template <typename T> std::string text_of(const T &value)
{
	std::ostringstream os;

	os << value;
	return os.str();
}

void convert(const toml::node &n, saba_toml *out, int depth, size_t &count);

void convert_table(const toml::table &tbl, saba_toml *out, int depth, size_t &count)
{
	struct member {
		const toml::key *key;
		const toml::node *node;
		toml::source_position pos;
	};
	std::vector<member> members;
	kid_list kids;

	for (auto &&[k, v] : tbl) {
		toml::source_position pos = k.source().begin;

		if (pos.line == 0)
			pos = v.source().begin;
		members.push_back({&k, &v, pos});
	}
	/* toml++ keeps members sorted by name; the config's own order reads
	 * better and keeps "later wins" visible. */
	std::stable_sort(members.begin(), members.end(), [](const member &a, const member &b) {
		return a.pos.line != b.pos.line ? a.pos.line < b.pos.line
						: a.pos.column < b.pos.column;
	});
	kids.v.reserve(members.size());
	for (const member &m : members) {
		saba_toml *kid = new_node(m.pos.line > 0 && m.pos.line <= 0x7fffffff
						  ? static_cast<int>(m.pos.line)
						  : 0);

		kids.v.push_back(kid); /* reserved: cannot throw */
		if (m.key->str().find('\0') != std::string_view::npos)
			throw failure{"a key holds a NUL character", kid->line};
		kid->key = copy_bytes(m.key->str());
		convert(*m.node, kid, depth + 1, count);
	}
	set_kids(out, kids.v);
}

void convert(const toml::node &n, saba_toml *out, int depth, size_t &count)
{
	if (++count > max_values)
		throw failure{"more than " + std::to_string(max_values) +
				      " values: no mackerel-agent config is this large",
			      out->line != 0 ? out->line : line_of(n.source())};
	if (depth > max_depth)
		throw failure{"nested more than " + std::to_string(max_depth) + " levels deep",
			      line_of(n.source())};
	if (out->line == 0)
		out->line = line_of(n.source());
	switch (n.type()) {
	case toml::node_type::table:
		out->type = SABA_TOML_TABLE;
		convert_table(*n.as_table(), out, depth, count);
		break;
	case toml::node_type::array: {
		kid_list kids;

		out->type = SABA_TOML_ARRAY;
		kids.v.reserve(n.as_array()->size());
		for (const toml::node &e : *n.as_array()) {
			kids.v.push_back(new_node(line_of(e.source()))); /* reserved */
			convert(e, kids.v.back(), depth + 1, count);
		}
		set_kids(out, kids.v);
		break;
	}
	case toml::node_type::string: {
		const std::string &s = n.as_string()->get();

		out->type = SABA_TOML_STRING;
		out->text = copy_bytes(s);
		out->len = s.size();
		break;
	}
	case toml::node_type::integer:
		out->type = SABA_TOML_INT;
		out->i = n.as_integer()->get();
		break;
	case toml::node_type::floating_point:
		out->type = SABA_TOML_FLOAT;
		out->f = n.as_floating_point()->get();
		break;
	case toml::node_type::boolean:
		out->type = SABA_TOML_BOOL;
		out->b = n.as_boolean()->get() ? 1 : 0;
		break;
	case toml::node_type::date:
		out->type = SABA_TOML_DATETIME;
		out->text = copy_bytes(text_of(n.as_date()->get()));
		break;
	case toml::node_type::time:
		out->type = SABA_TOML_DATETIME;
		out->text = copy_bytes(text_of(n.as_time()->get()));
		break;
	case toml::node_type::date_time:
		out->type = SABA_TOML_DATETIME;
		out->text = copy_bytes(text_of(n.as_date_time()->get()));
		break;
	default:
		throw failure{"a value of an unknown kind", line_of(n.source())};
	}
	if (out->text != nullptr)
		out->len = out->type == SABA_TOML_STRING ? out->len : std::strlen(out->text);
}

/* Skip a string starting at text[i] (a quote), counting newlines; returns
 * the index after it (or len when it does not end). */
size_t skip_string(const char *text, size_t len, size_t i, int *line)
{
	char q = text[i];
	bool multi = i + 2 < len && text[i + 1] == q && text[i + 2] == q;

	i += multi ? 3 : 1;
	while (i < len) {
		if (text[i] == '\\' && q == '"') {
			if (i + 1 < len && text[i + 1] == '\n')
				(*line)++;
			i += 2;
			continue;
		}
		if (text[i] == '\n') {
			if (!multi)
				return i; /* toml++ reports the unterminated string */
			(*line)++;
		}
		if (text[i] == q &&
		    (!multi || (i + 2 < len && text[i + 1] == q && text[i + 2] == q)))
			return i + (multi ? 3 : 1);
		i++;
	}
	return len;
}

/* What toml++ 3.3 must not see, found by a lexical scan:
 * - a control character other than tab, LF and CR, anywhere: TOML allows
 *   none, and a NUL in a table header fails an assertion of toml++;
 * - a non-ASCII character outside strings and comments: TOML 1.0 allows
 *   none, and toml++'s whitespace test reaches __builtin_unreachable() for
 *   some (U+00A1, ...);
 * - a key of more than max_key_dots + 1 parts: toml++ walks and frees
 *   tables recursively, so a key of a million parts overflows the stack.
 *   Every '=', ',', brace, bracket or newline starts a new count, so values
 *   such as 1.5 or dates count at most their own dot.
 * The line of the first, or 0; why says what it is. */
int scan_line(const char *text, size_t len, char *why, size_t whylen)
{
	int line = 1, dots = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = static_cast<unsigned char>(text[i]);

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
			std::snprintf(why, whylen, "control character 0x%02x (TOML allows none)",
				      c);
			return line;
		}
		line += c == '\n';
	}
	line = 1;
	for (size_t i = 0; i < len;) {
		switch (text[i]) {
		case '\n':
			line++;
			dots = 0;
			break;
		case '#':
			while (i + 1 < len && text[i + 1] != '\n')
				i++;
			break;
		case '"':
		case '\'':
			i = skip_string(text, len, i, &line);
			continue;
		case '=':
		case ',':
		case '{':
		case '}':
		case '[':
		case ']':
			dots = 0;
			break;
		case '.':
			if (++dots > max_key_dots) {
				std::snprintf(why, whylen, "a key of more than %d dotted parts",
					      max_key_dots + 1);
				return line;
			}
			break;
		default:
			if (static_cast<unsigned char>(text[i]) >= 0x80) {
				std::snprintf(why, whylen,
					      "a non-ASCII character outside a string or "
					      "comment (not TOML)");
				return line;
			}
			break;
		}
		i++;
	}
	return 0;
}

int parse(const char *text, size_t len, saba_toml **out, char *err, size_t errlen, int *line)
{

	saba_toml *root = nullptr;

	*out = nullptr;
	*line = 0;
	if ((*line = scan_line(text, len, err, errlen)) > 0)
		return -1;
	try {
		saba_toml_check_failed = false;

		toml::parse_result r = toml::parse(std::string_view(text, len));

		if (saba_toml_check_failed) {
			std::snprintf(err, errlen, "not TOML (the parser's own checks failed)");
			*line = r ? 0 : line_of(r.error().source());
			return -1;
		}
		if (!r) {
			const toml::parse_error &e = r.error();

			std::snprintf(err, errlen, "%.*s", static_cast<int>(e.description().size()),
				      e.description().data());
			*line = line_of(e.source());
			return -1;
		}
		size_t count = 0;

		root = new_node(1);
		root->type = SABA_TOML_TABLE;
		convert_table(r.table(), root, 0, count);
		*out = root;
		return 0;
	} catch (const failure &f) {
		std::snprintf(err, errlen, "%s", f.message.c_str());
		*line = f.line;
	} catch (const std::bad_alloc &) {
		std::snprintf(err, errlen, "out of memory");
	} catch (...) {
		std::snprintf(err, errlen, "the TOML parser failed");
	}
	free_tree(root);
	return -1;
}

const saba_toml_module module = {
	SABA_TOML_MODULE_VERSION,
	sizeof(saba_toml_module),
	PACKAGE_VERSION,
	parse,
};

} // namespace

extern "C" __attribute__((visibility("default"))) const saba_toml_module *
saba_toml_module_entry(void)
{
	return &module;
}
