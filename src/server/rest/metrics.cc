#include "server/rest/metrics.h"

#include <cmath>
#include <cstdio>

namespace medlake::server {
namespace {

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Metrics::RenderLabels(const Labels& labels, const std::string& extra) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + Escape(v) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

void Metrics::Declare(const std::string& name, const std::string& type, const std::string& help,
                      std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  if (families_.count(name)) return;
  Family& f = families_[name];
  f.type = type;
  f.help = help;
  f.buckets = std::move(buckets);
}

void Metrics::Add(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  it->second.series[RenderLabels(labels)].value += value;
}

void Metrics::Observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return;
  Family& f = it->second;
  Series& s = f.series[RenderLabels(labels)];
  if (s.counts.empty()) s.counts.assign(f.buckets.size() + 1, 0);
  for (size_t i = 0; i < f.buckets.size(); ++i) {
    if (value <= f.buckets[i]) ++s.counts[i];
  }
  ++s.counts.back();
  s.sum += value;
  ++s.count;
}

void Metrics::Callback(const std::string& name, std::function<double()> read) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.read = std::move(read);
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    if (f.read) {
      out += name + " " + Number(f.read()) + "\n";
      continue;
    }
    for (const auto& [labels, s] : f.series) {
      if (f.type != "histogram") {
        out += name + labels + " " + Number(s.value) + "\n";
        continue;
      }
      // Cumulative buckets: the labels string is "{...}" or "", the le label goes last.
      std::string inner = labels.empty() ? "" : labels.substr(1, labels.size() - 2);
      for (size_t i = 0; i <= f.buckets.size(); ++i) {
        std::string le = "le=\"" + (i < f.buckets.size() ? Number(f.buckets[i]) : std::string("+Inf")) + "\"";
        out += name + "_bucket{" + (inner.empty() ? le : inner + "," + le) + "} " + Number(static_cast<double>(s.counts[i])) + "\n";
      }
      out += name + "_sum" + labels + " " + Number(s.sum) + "\n";
      out += name + "_count" + labels + " " + Number(static_cast<double>(s.count)) + "\n";
    }
  }
  return out;
}

}  // namespace medlake::server
