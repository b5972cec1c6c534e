#include <exception>

#include "idp/http/response.h"
#include "idp/http/server.h"

namespace certme {

void InstallOpsRoutes(Router& router, std::function<Status()> ready, std::shared_ptr<Metrics> metrics,
                      OpsOptions options) {
  // Liveness: answering at all is the signal; it checks nothing else so an
  // orchestrator never restarts us for a dependency's outage.
  router.Get("/healthz", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "ok");
    r.headers.Set("Cache-Control", "no-store");
    return r;
  });

  // Readiness: the body says ready or not and nothing else (it is public);
  // why not goes to the access log through kLogDetailHeader.
  RouteOptions expose;
  expose.expose_server_errors = true;
  router.Handle(
      "GET", "/readyz",
      [ready = std::move(ready)](const HttpRequest&) {
        Status s;
        try {
          s = ready ? ready() : Status::Ok();
        } catch (const std::exception& e) {
          s = Unavailable("not ready", std::string("readiness check threw: ") + e.what());
        }
        if (s.ok()) return HttpResponse::Json(200, R"({"status":"ready"})");
        HttpResponse r = HttpResponse::Json(503, R"({"status":"unavailable"})");
        r.headers.Set(kLogDetailHeader, s.ToString());
        return r;
      },
      expose);

  if (!options.serve_metrics) return;
  // The figures tell an outsider how busy the bridge is, which services
  // people use and when keys expire: only the listed scrapers read them.
  router.Get("/metrics", [metrics = std::move(metrics), allow = std::move(options.metrics_allow)](
                             const HttpRequest& req) {
    if (allow && !allow->Contains(req.client_ip)) {
      HttpResponse r = HttpResponse::Text(403, "forbidden: this address may not read /metrics\n");
      r.headers.Set("Cache-Control", "no-store");
      r.headers.Set(kLogDetailHeader, "metrics scrape from an address outside server.metrics_allow");
      return r;
    }
    HttpResponse r = HttpResponse::Text(200, metrics ? metrics->Render() : "", Metrics::kContentType);
    r.headers.Set("Cache-Control", "no-store");
    return r;
  });
}

}  // namespace certme
