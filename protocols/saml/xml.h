// Hardened libxml2 parsing and small tree helpers for SAML messages.
//
// Untrusted XML goes through ParseUntrustedXml only: bounded in size,
// attributes per element and nesting by a linear pre-scan before libxml2
// sees a byte, DOCTYPE refused outright (so no internal or external
// entities, no DTD-declared ID attributes), no network access, no entity
// substitution. The helpers compare namespaces exactly: a SAML element is
// identified by namespace URI + local name, never by prefix.
//
// Thread-safety: documents are not shared between threads; the functions
// hold no state.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme::saml {

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Largest SAML message accepted (after base64 / inflate decoding). MPass
// requests are ~3 KB; the cap bounds what an unauthenticated sender can make
// us parse before its issuer and signature are known.
inline constexpr size_t kMaxMessageBytes = 64 * 1024;

// What an untrusted document may be, checked by PrescanXml before parsing.
// libxml2's duplicate-attribute check is quadratic in the attributes of one
// element (36,000 of them cost ~1 s of CPU), hence the per-element bound.
struct XmlLimits {
  size_t max_bytes = kMaxMessageBytes;
  size_t max_attributes = 32;  // per element, namespace declarations included
  size_t max_depth = 32;       // elements open at once
};

// A linear scan of the markup, no allocation: InvalidArgument (message says
// which limit) for empty or too large text, a NUL byte or a declared
// encoding other than UTF-8 (the scan must read the bytes as the parser
// will), any "<!" other than a comment or CDATA section (DOCTYPE, ENTITY),
// an element with more than max_attributes attributes, nesting deeper than
// max_depth, or an unterminated tag, comment or PI. Passing is no promise of
// well-formedness; it bounds what the parser is given.
Status PrescanXml(std::string_view text, const XmlLimits& limits = {});

// PrescanXml, then parses `text` as a standalone XML document.
// InvalidArgument for anything PrescanXml refuses, not well-formed, no root
// element.
StatusOr<XmlDocPtr> ParseUntrustedXml(std::string_view text, const XmlLimits& limits = {});

// Parses XML this program produced itself (same hardening; Internal on failure).
StatusOr<XmlDocPtr> ParseOwnXml(std::string_view text);

bool IsElement(const xmlNode* node, std::string_view ns, std::string_view local);
// Element children of `parent`, in order; filtered by namespace + name when given.
std::vector<xmlNode*> ChildElements(const xmlNode* parent);
std::vector<xmlNode*> ChildElements(const xmlNode* parent, std::string_view ns,
                                    std::string_view local);
// The only child with that name: nullptr when absent; `*count` receives the
// number found so callers can refuse duplicates.
xmlNode* ChildElement(const xmlNode* parent, std::string_view ns, std::string_view local,
                      size_t* count = nullptr);
// Every element below `root` (inclusive) with that name, document order.
std::vector<xmlNode*> Descendants(const xmlNode* root, std::string_view ns, std::string_view local);

// An attribute without namespace; nullopt when absent.
std::optional<std::string> Attr(const xmlNode* node, std::string_view name);
// Concatenated text content, surrounding ASCII whitespace trimmed.
std::string Text(const xmlNode* node);
// The whole document as UTF-8 (no reformatting, so signatures stay valid).
std::string SerializeDoc(xmlDoc* doc);
// One element and its subtree as UTF-8, no XML declaration (namespaces
// declared on ancestors are not repeated).
std::string SerializeNode(xmlDoc* doc, xmlNode* node);

// Escapes text for element content and double-quoted attribute values.
std::string XmlEscape(std::string_view s);

// SAML Core §1.3.3: xs:dateTime in UTC, "2024-05-01T10:00:00Z".
std::string FormatSamlTime(int64_t unix_seconds);
// Accepts "YYYY-MM-DDThh:mm:ss[.fff]Z" (UTC only, as SAML Core §1.3.3 requires).
std::optional<int64_t> ParseSamlTime(std::string_view text);

}  // namespace certme::saml
