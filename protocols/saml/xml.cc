#include "protocols/saml/xml.h"

#include <libxml/parser.h>

#include <cstring>
#include <ctime>

namespace certme::saml {
namespace {

// XML_PARSE_NONET: never fetch anything. No XML_PARSE_NOENT / DTDLOAD /
// DTDATTR / DTDVALID: entities are never substituted and no DTD is read
// (the DOCTYPE check below refuses them anyway). Errors are not printed.
constexpr int kParseOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;

bool ContainsDoctype(std::string_view text) {
  // A DOCTYPE can only appear in the prolog, but comments and PIs may
  // precede it; searching the whole text is simpler and stricter (the
  // sequence cannot occur in well-formed content outside CDATA/comments).
  return text.find("<!DOCTYPE") != std::string_view::npos ||
         text.find("<!ENTITY") != std::string_view::npos;
}

// Our own documents (signed Responses, metadata) are bounded by this only.
constexpr size_t kMaxOwnXmlBytes = 4 * 1024 * 1024;

constexpr std::string_view kDoctypeRefused = "DOCTYPE is not allowed in SAML messages";

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool StartsWith(std::string_view s, size_t pos, std::string_view prefix) {
  return s.compare(pos, prefix.size(), prefix) == 0;
}

// The encoding="…" of an XML declaration `decl` (between "<?xml" and "?>");
// empty when absent.
std::string_view DeclaredEncoding(std::string_view decl) {
  size_t at = decl.find("encoding");
  if (at == std::string_view::npos) return {};
  size_t i = at + 8;
  while (i < decl.size() && IsXmlSpace(decl[i])) ++i;
  if (i >= decl.size() || decl[i] != '=') return {};
  ++i;
  while (i < decl.size() && IsXmlSpace(decl[i])) ++i;
  if (i >= decl.size() || (decl[i] != '"' && decl[i] != '\'')) return "?";
  size_t end = decl.find(decl[i], i + 1);
  if (end == std::string_view::npos) return "?";
  return decl.substr(i + 1, end - i - 1);
}

// One start tag from `pos` (at its '<'): counts the attributes ('=' outside
// quoted values) and reports where it ends and whether it is empty ("/>").
Status ScanStartTag(std::string_view text, size_t& pos, bool& empty, const XmlLimits& limits) {
  size_t attributes = 0;
  char quote = 0;
  for (size_t i = pos + 1; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '=') {
      if (++attributes > limits.max_attributes)
        return InvalidArgument("an element has more than " + std::to_string(limits.max_attributes) + " attributes");
    } else if (c == '>') {
      empty = text[i - 1] == '/';
      pos = i + 1;
      return Status::Ok();
    }
  }
  return InvalidArgument("malformed XML: unterminated start tag");
}

}  // namespace

Status PrescanXml(std::string_view text, const XmlLimits& limits) {
  if (text.empty()) return InvalidArgument("empty XML message");
  if (text.size() > limits.max_bytes) return InvalidArgument("XML message too large");
  // UTF-16/32 always hold NUL bytes; UTF-8 text never does.
  if (text.find('\0') != std::string_view::npos) return InvalidArgument("XML message is not UTF-8");
  size_t pos = StartsWith(text, 0, "\xEF\xBB\xBF") ? 3 : 0;
  // XML §2.8: a document starts with its declaration or markup; anything
  // else would make libxml2 guess an encoding (EBCDIC) the scan cannot read.
  if (pos < text.size() && text[pos] != '<' && !IsXmlSpace(text[pos]))
    return InvalidArgument("malformed XML: no markup at the start");
  if (StartsWith(text, pos, "<?xml") && pos + 5 < text.size() && IsXmlSpace(text[pos + 5])) {
    size_t end = text.find("?>", pos);
    if (end == std::string_view::npos) return InvalidArgument("malformed XML: unterminated XML declaration");
    std::string_view enc = DeclaredEncoding(text.substr(pos, end - pos));
    if (!enc.empty() && enc != "UTF-8" && enc != "utf-8" && enc != "UTF8" && enc != "utf8")
      return InvalidArgument("XML message is not UTF-8");
  }
  size_t depth = 0;
  while ((pos = text.find('<', pos)) != std::string_view::npos) {
    auto skip_to = [&](std::string_view terminator, std::string_view what) -> Status {
      size_t end = text.find(terminator, pos + 2);
      if (end == std::string_view::npos) return InvalidArgument("malformed XML: unterminated " + std::string(what));
      pos = end + terminator.size();
      return Status::Ok();
    };
    if (StartsWith(text, pos, "<!--")) {
      CERTME_RETURN_IF_ERROR(skip_to("-->", "comment"));
    } else if (StartsWith(text, pos, "<![CDATA[")) {
      CERTME_RETURN_IF_ERROR(skip_to("]]>", "CDATA section"));
    } else if (StartsWith(text, pos, "<?")) {
      CERTME_RETURN_IF_ERROR(skip_to("?>", "processing instruction"));
    } else if (StartsWith(text, pos, "<!")) {
      return InvalidArgument(std::string(kDoctypeRefused));
    } else if (StartsWith(text, pos, "</")) {
      if (depth == 0) return InvalidArgument("malformed XML: unbalanced end tag");
      --depth;
      CERTME_RETURN_IF_ERROR(skip_to(">", "end tag"));
    } else {
      bool empty = false;
      CERTME_RETURN_IF_ERROR(ScanStartTag(text, pos, empty, limits));
      if (!empty && ++depth > limits.max_depth)
        return InvalidArgument("elements nested deeper than " + std::to_string(limits.max_depth));
    }
  }
  return Status::Ok();
}

namespace {

StatusOr<XmlDocPtr> Parse(std::string_view text, size_t max_bytes) {
  if (text.empty()) return InvalidArgument("empty XML message");
  if (text.size() > max_bytes) return InvalidArgument("XML message too large");
  if (ContainsDoctype(text)) return InvalidArgument(std::string(kDoctypeRefused));
  xmlDoc* raw = xmlReadMemory(text.data(), static_cast<int>(text.size()), "message.xml", nullptr,
                              kParseOptions);
  if (!raw) return InvalidArgument("malformed XML");
  XmlDocPtr doc(raw);
  // Belt and braces: the parser saw a DTD we did not spot in the text (an
  // encoding trick such as UTF-16 input).
  if (doc->intSubset || doc->extSubset) return InvalidArgument(std::string(kDoctypeRefused));
  if (!xmlDocGetRootElement(doc.get())) return InvalidArgument("XML document has no root element");
  return doc;
}

}  // namespace

StatusOr<XmlDocPtr> ParseUntrustedXml(std::string_view text, const XmlLimits& limits) {
  CERTME_RETURN_IF_ERROR(PrescanXml(text, limits));
  return Parse(text, limits.max_bytes);
}

StatusOr<XmlDocPtr> ParseOwnXml(std::string_view text) {
  auto doc = Parse(text, kMaxOwnXmlBytes);
  if (!doc.ok()) return Internal("generated XML did not parse", doc.status().message());
  return doc;
}

bool IsElement(const xmlNode* node, std::string_view ns, std::string_view local) {
  if (!node || node->type != XML_ELEMENT_NODE || !node->ns || !node->ns->href) return false;
  return local == reinterpret_cast<const char*>(node->name) &&
         ns == reinterpret_cast<const char*>(node->ns->href);
}

std::vector<xmlNode*> ChildElements(const xmlNode* parent) {
  std::vector<xmlNode*> out;
  if (!parent) return out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

std::vector<xmlNode*> ChildElements(const xmlNode* parent, std::string_view ns,
                                    std::string_view local) {
  std::vector<xmlNode*> out;
  if (!parent) return out;
  for (xmlNode* c = parent->children; c; c = c->next)
    if (IsElement(c, ns, local)) out.push_back(c);
  return out;
}

xmlNode* ChildElement(const xmlNode* parent, std::string_view ns, std::string_view local,
                      size_t* count) {
  auto all = ChildElements(parent, ns, local);
  if (count) *count = all.size();
  return all.empty() ? nullptr : all.front();
}

namespace {
void Collect(const xmlNode* n, std::string_view ns, std::string_view local,
             std::vector<xmlNode*>& out) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    if (IsElement(n, ns, local)) out.push_back(const_cast<xmlNode*>(n));
    Collect(n->children, ns, local, out);
  }
}
}  // namespace

std::vector<xmlNode*> Descendants(const xmlNode* root, std::string_view ns, std::string_view local) {
  std::vector<xmlNode*> out;
  if (!root) return out;
  if (IsElement(root, ns, local)) out.push_back(const_cast<xmlNode*>(root));
  Collect(root->children, ns, local, out);
  return out;
}

std::optional<std::string> Attr(const xmlNode* node, std::string_view name) {
  if (!node || node->type != XML_ELEMENT_NODE) return std::nullopt;
  std::string n(name);
  xmlChar* v = xmlGetNoNsProp(node, reinterpret_cast<const xmlChar*>(n.c_str()));
  if (!v) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::string Text(const xmlNode* node) {
  if (!node) return {};
  xmlChar* v = xmlNodeGetContent(node);
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string SerializeDoc(xmlDoc* doc) {
  xmlChar* buf = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &buf, &size, "UTF-8");
  std::string out(buf ? reinterpret_cast<const char*>(buf) : "", buf ? size : 0);
  if (buf) xmlFree(buf);
  return out;
}

std::string SerializeNode(xmlDoc* doc, xmlNode* node) {
  xmlBufferPtr buf = xmlBufferCreate();
  if (!buf) return {};
  std::string out;
  if (xmlNodeDump(buf, doc, node, 0, 0) >= 0)
    out.assign(reinterpret_cast<const char*>(xmlBufferContent(buf)), xmlBufferLength(buf));
  xmlBufferFree(buf);
  return out;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatSamlTime(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<int64_t> ParseSamlTime(std::string_view s) {
  // YYYY-MM-DDThh:mm:ss then optional .fraction then Z.
  if (s.size() < 20 || s.size() > 40) return std::nullopt;
  auto digits = [&](size_t pos, size_t n, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, &Y) || s[4] != '-' || !digits(5, 2, &M) || s[7] != '-' || !digits(8, 2, &D) ||
      s[10] != 'T' || !digits(11, 2, &h) || s[13] != ':' || !digits(14, 2, &m) || s[16] != ':' ||
      !digits(17, 2, &sec))
    return std::nullopt;
  size_t i = 19;
  if (s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  struct tm tm {};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace certme::saml
