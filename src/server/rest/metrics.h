// server/rest/metrics.h: Prometheus metrics of the server, in the text exposition format.
//
// Part of the server module (see ../README.md). A small registry: counters and histograms with
// label sets fixed at first use, plus gauges computed at scrape time (callbacks), rendered by
// Render() for `GET /metrics`. Label values come from route patterns, methods and status codes
// only (bounded cardinality, never user data).
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace medlake::server {

class Metrics {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  // Declares a metric (once; later declarations are ignored). `type` is "counter", "gauge" or
  // "histogram"; histograms use `buckets` (upper bounds, ascending; +Inf is implied).
  void Declare(const std::string& name, const std::string& type, const std::string& help,
               std::vector<double> buckets = {});
  void Add(const std::string& name, const Labels& labels, double value = 1);
  void Observe(const std::string& name, const Labels& labels, double value);
  // A gauge or counter read at scrape time.
  void Callback(const std::string& name, std::function<double()> read);

  // The text exposition format (version 0.0.4).
  std::string Render() const;

 private:
  struct Series {
    double value = 0;              // counters
    std::vector<uint64_t> counts;  // histograms: one per bucket, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string type, help;
    std::vector<double> buckets;
    std::map<std::string, Series> series;  // by rendered label set
    std::function<double()> read;
  };
  static std::string RenderLabels(const Labels& labels, const std::string& extra = "");

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

}  // namespace medlake::server
