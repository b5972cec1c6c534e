#include "protocols/saml/dsig.h"

#include <libxml/parser.h>
#include <libxml/valid.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#include <memory>
#include <mutex>

#include "common/encoding.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::saml {
namespace {

const xmlChar* X(const char* s) { return reinterpret_cast<const xmlChar*>(s); }

Status g_init_status;

// xmlsec prints every failed check to stderr; failures reach our logs as
// Status values instead, so its own printer is silenced.
void QuietXmlSecErrors(const char*, int, const char*, const char*, const char*, int, const char*) {}

void DoInit() {
  xmlInitParser();
  xmlSecErrorsSetCallback(QuietXmlSecErrors);
  if (xmlSecInit() < 0) {
    g_init_status = Internal("xmlsec initialization failed");
    return;
  }
  if (xmlSecCheckVersion() != 1) {
    g_init_status = Internal("xmlsec library version mismatch");
    return;
  }
  if (xmlSecOpenSSLAppInit(nullptr) < 0 || xmlSecOpenSSLInit() < 0) {
    g_init_status = Internal("xmlsec OpenSSL backend initialization failed");
    return;
  }
}

struct DsigCtxDeleter {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};
using DsigCtxPtr = std::unique_ptr<xmlSecDSigCtx, DsigCtxDeleter>;

// An xmlsec key sharing (not copying) the caller's EVP_PKEY.
xmlSecKeyPtr MakeKey(EVP_PKEY* pkey) {
  if (!pkey) return nullptr;
  xmlSecKeyPtr key = xmlSecKeyCreate();
  if (!key) return nullptr;
  EVP_PKEY_up_ref(pkey);
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
  if (!data) {
    EVP_PKEY_free(pkey);
    xmlSecKeyDestroy(key);
    return nullptr;
  }
  if (xmlSecKeySetValue(key, data) < 0) {
    xmlSecKeyDataDestroy(data);
    xmlSecKeyDestroy(key);
    return nullptr;
  }
  return key;
}

bool IsIdAttrName(const xmlAttr* a) {
  if (!a->name) return false;
  std::string_view n(reinterpret_cast<const char*>(a->name));
  if (a->ns && a->ns->href) {
    // xml:id (XML ID Rec) is an ID whatever the schema says.
    return n == "id" && std::string_view(reinterpret_cast<const char*>(a->ns->href)) ==
                            "http://www.w3.org/XML/1998/namespace";
  }
  return n == "ID" || n == "Id" || n == "AssertionID" || n == "id";
}

// Number of elements in the subtree carrying an ID-like attribute equal to `id`.
size_t CountIdHolders(const xmlNode* n, std::string_view id) {
  size_t count = 0;
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    for (const xmlAttr* a = n->properties; a; a = a->next) {
      if (!IsIdAttrName(a) || !a->children) continue;
      xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
      if (v && id == reinterpret_cast<const char*>(v)) ++count;
      if (v) xmlFree(v);
    }
    count += CountIdHolders(n->children, id);
  }
  return count;
}

Status Refuse(std::string detail) {
  return Unauthenticated("signature is missing or invalid", std::move(detail));
}

// Registers the ID attribute of `element` (and only it) so that "#id"
// resolves to it; fails when anything else already holds that ID.
Status RegisterId(xmlDoc* doc, xmlNode* element, const std::string& id) {
  xmlAttr* attr = xmlHasProp(element, X("ID"));
  if (!attr) return Refuse("element has no ID attribute");
  xmlAttr* existing = xmlGetID(doc, X(id.c_str()));
  if (existing && existing != attr) return Refuse("ID already registered on another element");
  if (!existing && !xmlAddID(nullptr, doc, X(id.c_str()), attr)) return Refuse("ID registration failed");
  xmlAttr* now = xmlGetID(doc, X(id.c_str()));
  if (!now || now->parent != element) return Refuse("ID does not resolve to the element");
  return Status::Ok();
}

bool AlgIs(const xmlNode* n, std::string_view uri) {
  auto a = Attr(n, "Algorithm");
  return a && *a == uri;
}

}  // namespace

Status InitXmlSecurity() {
  static std::once_flag once;
  std::call_once(once, DoInit);
  return g_init_status;
}

bool HasEnvelopedSignature(const xmlNode* element) {
  return ChildElement(element, kNsDsig, "Signature") != nullptr;
}

Status VerifyEnvelopedSignature(xmlDoc* doc, xmlNode* element, EVP_PKEY* key,
                                const DsigPolicy& policy) {
  CERTME_RETURN_IF_ERROR(InitXmlSecurity());
  if (!doc || !element || !key) return Refuse("missing document, element or key");
  auto id = Attr(element, "ID");
  if (!id || id->empty()) return Refuse("signed element has no ID");

  // The signature must be a direct child of the element consumed.
  size_t sig_count = 0;
  xmlNode* sig = ChildElement(element, kNsDsig, "Signature", &sig_count);
  if (sig_count != 1) return Refuse(sig_count ? "more than one Signature" : "no Signature child");

  size_t n = 0;
  xmlNode* signed_info = ChildElement(sig, kNsDsig, "SignedInfo", &n);
  if (n != 1) return Refuse("SignedInfo count != 1");
  xmlNode* c14n = ChildElement(signed_info, kNsDsig, "CanonicalizationMethod", &n);
  if (n != 1 || !AlgIs(c14n, kAlgExcC14n)) return Refuse("canonicalization must be exc-c14n");
  xmlNode* sm = ChildElement(signed_info, kNsDsig, "SignatureMethod", &n);
  if (n != 1) return Refuse("SignatureMethod count != 1");
  bool sig_sha1 = AlgIs(sm, kAlgRsaSha1);
  if (!AlgIs(sm, kAlgRsaSha256) && !(sig_sha1 && policy.allow_sha1))
    return Refuse("signature algorithm not allowed");

  // Exactly one Reference, to this element.
  auto refs = ChildElements(signed_info, kNsDsig, "Reference");
  if (refs.size() != 1) return Refuse("Reference count != 1");
  if (Descendants(sig, kNsDsig, "Reference").size() != 1) return Refuse("extra Reference elements");
  auto uri = Attr(refs[0], "URI");
  if (!uri || *uri != "#" + *id) return Refuse("Reference URI is not #ID of the element");
  xmlNode* transforms = ChildElement(refs[0], kNsDsig, "Transforms", &n);
  if (n > 1) return Refuse("Transforms count > 1");
  bool enveloped = false;
  for (xmlNode* t : ChildElements(transforms)) {
    if (!IsElement(t, kNsDsig, "Transform")) return Refuse("unexpected element in Transforms");
    if (AlgIs(t, kAlgEnveloped)) {
      enveloped = true;
    } else if (!AlgIs(t, kAlgExcC14n)) {
      return Refuse("transform not allowed");
    }
  }
  if (!enveloped) return Refuse("signature is not enveloped");
  xmlNode* dm = ChildElement(refs[0], kNsDsig, "DigestMethod", &n);
  if (n != 1) return Refuse("DigestMethod count != 1");
  if (!AlgIs(dm, kAlgSha256) && !(AlgIs(dm, kAlgSha1) && policy.allow_sha1))
    return Refuse("digest algorithm not allowed");

  // The ID must be unique in the whole document: a duplicate is the classic
  // wrapping set-up (the reference resolving to a copy instead of the
  // element consumed).
  if (CountIdHolders(xmlDocGetRootElement(doc), *id) != 1) return Refuse("duplicate ID in document");
  CERTME_RETURN_IF_ERROR(RegisterId(doc, element, *id));

  DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return Internal("signature context unavailable");
  ctx->signKey = MakeKey(key);
  if (!ctx->signKey) return Refuse("key unusable");
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformEnvelopedId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformSha256Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformRsaSha256Id) < 0)
    return Internal("signature context setup failed");
  if (policy.allow_sha1 &&
      (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformSha1Id) < 0 ||
       xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformRsaSha1Id) < 0))
    return Internal("signature context setup failed");
  if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0) return Refuse("xmlsec verification error");
  if (ctx->status != xmlSecDSigStatusSucceeded) return Refuse("signature does not verify");
  // What xmlsec actually processed must be the one reference we checked.
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) return Refuse("processed reference count != 1");
  auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!ref || !ref->uri || std::string("#") + *id != reinterpret_cast<const char*>(ref->uri) ||
      ref->status != xmlSecDSigStatusSucceeded)
    return Refuse("processed reference is not the element");
  return Status::Ok();
}

Status SignEnveloped(xmlDoc* doc, xmlNode* element, EVP_PKEY* key,
                     std::string_view certificate_der) {
  CERTME_RETURN_IF_ERROR(InitXmlSecurity());
  auto id = Attr(element, "ID");
  if (!id || id->empty()) return Internal("element to sign has no ID");
  xmlNode* sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
                                                 xmlSecTransformRsaSha256Id, nullptr, X("ds"));
  if (!sig) return Internal("signature template failed");
  // SAML schemas put ds:Signature right after saml:Issuer.
  xmlNode* issuer = ChildElement(element, kNsAssertion, "Issuer");
  xmlNode* placed = nullptr;
  if (issuer) {
    placed = xmlAddNextSibling(issuer, sig);
  } else if (element->children) {
    placed = xmlAddPrevSibling(element->children, sig);
  } else {
    placed = xmlAddChild(element, sig);
  }
  if (!placed) {
    xmlFreeNode(sig);
    return Internal("signature placement failed");
  }
  std::string uri = "#" + *id;
  xmlNode* ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, nullptr,
                                                 X(uri.c_str()), nullptr);
  if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
      !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId))
    return Internal("signature reference failed");
  CERTME_RETURN_IF_ERROR(RegisterId(doc, element, *id));

  DsigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return Internal("signature context unavailable");
  ctx->signKey = MakeKey(key);
  if (!ctx->signKey) return Internal("signing key unusable");
  if (xmlSecDSigCtxSign(ctx.get(), sig) < 0) return Internal("XML signing failed");

  // KeyInfo is added after signing: it is informative (the SP takes our key
  // from metadata) and outside SignedInfo.
  if (!certificate_der.empty()) {
    xmlNode* ki = xmlSecTmplSignatureEnsureKeyInfo(sig, nullptr);
    xmlNode* x509 = ki ? xmlSecTmplKeyInfoAddX509Data(ki) : nullptr;
    if (!x509) return Internal("KeyInfo failed");
    std::string b64 = Base64Encode(certificate_der);
    xmlNewTextChild(x509, x509->ns, X("X509Certificate"), X(b64.c_str()));
  }
  return Status::Ok();
}

namespace {
const EVP_MD* RedirectDigest(std::string_view sig_alg, const DsigPolicy& policy) {
  if (sig_alg == kAlgRsaSha256) return EVP_sha256();
  if (sig_alg == kAlgRsaSha1 && policy.allow_sha1) return EVP_sha1();
  return nullptr;
}
}  // namespace

StatusOr<std::string> SignRedirect(EVP_PKEY* key, std::string_view signed_octets) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signed_octets.data()),
                     signed_octets.size()) != 1)
    return Internal("redirect signing failed");
  std::string out(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                     reinterpret_cast<const unsigned char*>(signed_octets.data()),
                     signed_octets.size()) != 1)
    return Internal("redirect signing failed");
  out.resize(len);
  return out;
}

Status VerifyRedirect(EVP_PKEY* key, std::string_view sig_alg, std::string_view signed_octets,
                      std::string_view signature, const DsigPolicy& policy) {
  const EVP_MD* md_alg = RedirectDigest(sig_alg, policy);
  if (!md_alg) return Unauthenticated("signature algorithm not allowed", std::string(sig_alg));
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return Refuse("key is not RSA");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, md_alg, nullptr, key) != 1)
    return Internal("signature context unavailable");
  int rc = EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(signed_octets.data()),
                            signed_octets.size());
  if (rc != 1) return Refuse("redirect signature does not verify");
  return Status::Ok();
}

StatusOr<std::string> MakeSelfSignedCertificate(EVP_PKEY* key, std::string_view common_name,
                                                int64_t not_before_unix, int days, Random& random) {
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  if (!x) return Internal("certificate allocation failed");
  unsigned char serial[16];
  random.Fill(serial, sizeof serial);
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr), BN_free);
  X509_set_version(x.get(), 2);
  BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get()));
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(not_before_unix));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_before_unix + int64_t{days} * 86400));
  X509_NAME* name = X509_get_subject_name(x.get());
  std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  if (X509_set_pubkey(x.get(), key) != 1 || X509_sign(x.get(), key, EVP_sha256()) <= 0)
    return Internal("certificate signing failed");
  int len = i2d_X509(x.get(), nullptr);
  if (len <= 0) return Internal("certificate encoding failed");
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(x.get(), &p);
  return der;
}

}  // namespace certme::saml
