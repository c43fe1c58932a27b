// The done-when test: kill -9 the MLLP server at random moments during a stream from
// several concurrent senders, restart it, and prove that every message acknowledged with AA is in
// raw.hl7_messages exactly once.
//
// The server runs as a separate process: the real `medlake serve --mllp 0` when the CLI has the
// subcommand (MEDLAKE_CLI_BINARY), else this test binary re-run as MllpServeChild.Run, which
// starts the same MllpService. Loopback only, port 0, bounded waits; the seed is printed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"
#include "ingest/mllp/mllp_service.h"
#include "ingest/mllp/mllp_test_client_internal.h"
#include "storage/lake.h"

extern char** environ;

namespace medlake::ingest::mllp {
namespace {

using testing::AckCode;
using testing::AckedControlId;
using testing::MllpTestClient;
using testing::TestMessage;

constexpr const char* kChildLakeEnv = "MEDLAKE_MLLP_CHILD_LAKE";

// Child mode: serve until SIGTERM. Skipped in a normal test run.
TEST(MllpServeChild, Run) {
  const char* lake_dir = std::getenv(kChildLakeEnv);
  if (lake_dir == nullptr)
    GTEST_SKIP() << "only run by MllpKillTest as the server process";
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto lake = storage::Lake::Open(lake_dir);
  if (!lake.ok())
    std::_Exit(3);
  MllpServiceOptions options;
  options.batch_messages = 50;
  options.batch_millis = 100;
  auto service = MllpService::Start(**lake, options);
  if (!service.ok()) {
    std::fprintf(stderr, "child: %s\n", service.status().ToString().c_str());
    std::_Exit(4);
  }
  std::printf("mllp listening on 127.0.0.1:%d\n", (*service)->port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  Status st = (*service)->Stop();
  std::_Exit(st.ok() ? 0 : 5);
}

bool CliHasServe(const std::string& binary) {
  if (::access(binary.c_str(), X_OK) != 0)
    return false;
  std::string cmd = "'" + binary + "' --help 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p)
    return false;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0)
    text.append(buf, n);
  ::pclose(p);
  return text.find("serve") != std::string::npos;
}

// One server process.
struct ServerProcess {
  pid_t pid = -1;
  int out_fd = -1;
  int port = 0;
};

Result<ServerProcess> StartServer(const std::string& lake_dir) {
  std::vector<std::string> args;
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e)
    env_strings.emplace_back(*e);
  // MEDLAKE_MLLP_SERVER_BINARY overrides the build tree's medlake binary.
  const char* override_binary = std::getenv("MEDLAKE_MLLP_SERVER_BINARY");
#ifdef MEDLAKE_CLI_BINARY
  const std::string cli = override_binary ? override_binary : MEDLAKE_CLI_BINARY;
#else
  const std::string cli = override_binary ? override_binary : "";
#endif
  static const bool use_cli = !cli.empty() && CliHasServe(cli);
  static const bool announced = [&] {
    std::printf("MllpKillTest server: %s\n",
                use_cli ? cli.c_str() : "this binary (MllpServeChild)");
    return true;
  }();
  (void)announced;
  if (use_cli) {
    args = {cli, "--lake",           lake_dir, "serve",          "--mllp",
            "0", "--batch-messages", "50",     "--batch-millis", "100"};
  } else {
    args = {"/proc/self/exe", "--gtest_filter=MllpServeChild.Run"};
    env_strings.push_back(std::string(kChildLakeEnv) + "=" + lake_dir);
  }
  std::vector<char*> argv, envp;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return IOError("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  ServerProcess p;
  int rc = posix_spawn(&p.pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return IOError("posix_spawn failed");
  }
  p.out_fd = pipe_fds[0];
  // Bounded wait for the readiness line.
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const std::string marker = "mllp listening on 127.0.0.1:";
  while (std::chrono::steady_clock::now() < deadline) {
    size_t at = seen.find(marker);
    if (at != std::string::npos && seen.find('\n', at) != std::string::npos) {
      p.port = std::atoi(seen.c_str() + at + marker.size());
      return p;
    }
    pollfd pfd{p.out_fd, POLLIN, 0};
    if (::poll(&pfd, 1, 1000) <= 0)
      continue;
    char buf[4096];
    ssize_t n = ::read(p.out_fd, buf, sizeof(buf));
    if (n <= 0)
      break;
    seen.append(buf, static_cast<size_t>(n));
  }
  ::kill(p.pid, SIGKILL);
  ::waitpid(p.pid, nullptr, 0);
  ::close(p.out_fd);
  return Internal("server did not report its port");
}

// Where the senders find the current server.
class PortBoard {
 public:
  void Publish(int port) {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = port;
    ++generation_;
    cv_.notify_all();
  }
  std::pair<int, uint64_t> Current() {
    std::lock_guard<std::mutex> lock(mu_);
    return {port_, generation_};
  }
  // Waits (bounded) for a newer server than `generation`.
  void WaitNewer(uint64_t generation, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30),
                 [&] { return generation_ > generation || stop.load(); });
  }
  void WakeAll() { cv_.notify_all(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int port_ = 0;
  uint64_t generation_ = 0;
};

TEST(MllpKillTest, AcknowledgedMessagesSurviveKillsExactlyOnce) {
  // MEDLAKE_MLLP_KILL_SEED replays a run's kill moments.
  const char* seed_env = std::getenv("MEDLAKE_MLLP_KILL_SEED");
  const uint32_t seed = seed_env ? static_cast<uint32_t>(std::strtoul(seed_env, nullptr, 10))
                                 : static_cast<uint32_t>(std::random_device{}());
  std::printf("MllpKillTest seed %u\n", seed);
  std::mt19937 rng(seed);
  TempDir tmp;
  const std::string lake_dir = tmp.Join("lake");
  { MEDLAKE_ASSERT_OK(storage::Lake::Create(lake_dir).status()); }

  PortBoard board;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(ServerProcess server, StartServer(lake_dir));
  board.Publish(server.port);

  constexpr int kSenders = 4;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked_count{0}, resends{0}, unexpected{0};
  std::mutex acked_mu;
  std::set<std::string> acked;  // idempotency keys acknowledged AA
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      const std::string app = "KILLAPP" + std::to_string(s);
      int next = 0;
      while (!stop.load()) {
        auto [port, generation] = board.Current();
        MllpTestClient c;
        if (!c.Connect(port).ok()) {
          board.WaitNewer(generation, stop);
          continue;
        }
        while (!stop.load()) {
          const std::string id = "K" + std::to_string(s) + "-" + std::to_string(next);
          if (!c.Send(TestMessage(id, app)).ok())
            break;
          auto ack = c.ReadAck(10000);
          if (!ack.ok()) {
            ++resends;  // connection died: send the same message again (at-least-once sender)
            break;
          }
          if (AckCode(*ack) != "AA" || AckedControlId(*ack) != id) {
            ++unexpected;
            break;
          }
          {
            std::lock_guard<std::mutex> lock(acked_mu);
            acked.insert(app + "|SENDFAC|" + id);
          }
          ++acked_count;
          ++next;
        }
      }
    });
  }

  constexpr int kKills = 8;
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < kKills; ++k) {
    // A random moment: after a random number of further ACKs (bounded wait).
    const uint64_t target = acked_count.load() + std::uniform_int_distribution<int>(5, 400)(rng);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (acked_count.load() < target && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(acked_count.load(), target) << "senders made no progress before kill " << k;
    ::kill(server.pid, SIGKILL);
    ::waitpid(server.pid, nullptr, 0);
    ::close(server.out_fd);
    auto restarted = StartServer(lake_dir);
    ASSERT_THAT(restarted, IsOk());
    server = *restarted;
    board.Publish(server.port);
  }
  // Some traffic after the last restart, then a clean stop.
  const uint64_t target = acked_count.load() + 50;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (acked_count.load() < target && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  board.WakeAll();
  for (auto& t : senders)
    t.join();
  ::kill(server.pid, SIGTERM);
  int status = 0;
  ::waitpid(server.pid, &status, 0);
  ::close(server.out_fd);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // Every AA-acknowledged message is in raw.hl7_messages exactly once.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto lake, storage::Lake::Open(lake_dir));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto session, engine::LakeSession::Open(*lake));
  std::map<std::string, int64_t> counts;
  MEDLAKE_ASSERT_OK(session->Run(
      "SELECT idempotency_key, count(*) FROM raw.hl7_messages WHERE source = 'mllp' GROUP BY 1",
      [&](size_t, engine::StatementOutcome& o) -> Status {
        if (!o.rows)
          return Status::OK();
        MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
        for (const auto& r : rows)
          counts[r[0].s] = r[1].i;
        return Status::OK();
      }));
  size_t missing = 0, duplicated = 0;
  for (const auto& key : acked) {
    auto it = counts.find(key);
    if (it == counts.end())
      ++missing;
  }
  for (const auto& [key, n] : counts) {
    if (n != 1)
      ++duplicated;
  }
  std::printf(
      "MllpKillTest: %d kills in %.1f s, %zu messages acknowledged AA, %llu re-sent after a "
      "kill, %zu rows in raw.hl7_messages, %zu missing, %zu duplicated\n",
      kKills, secs, acked.size(), static_cast<unsigned long long>(resends.load()), counts.size(),
      missing, duplicated);
  EXPECT_EQ(unexpected.load(), 0u);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(duplicated, 0u);
  EXPECT_GE(counts.size(), acked.size());
}

}  // namespace
}  // namespace medlake::ingest::mllp
