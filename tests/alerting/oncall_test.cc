// The built-in on-call rota: who is on call at an instant (weekly rotation in the rota's zone,
// overrides), checked against a brute-force oracle that walks local time over a year across DST
// changes in several zones (one with a 30-minute DST shift, one with a +05:45 offset).
#include <gtest/gtest.h>

#include <date/tz.h>

#include "alerting/oncall.h"
#include "config/time_text.h"

namespace lookout::alerting {
namespace {

using namespace std::chrono_literals;

OncallTime at(const std::string& rfc3339) { return config::parse_rfc3339(rfc3339).value(); }

int64_t day_number(int y, unsigned m, unsigned d) {
  return date::sys_days(date::year(y) / m / d).time_since_epoch().count();
}

config::Rota rota(const std::string& zone, int weekday, int minute, std::vector<std::string> members,
                  int64_t start_day = day_number(2026, 1, 1)) {
  config::Rota r;
  r.id = "primary";
  r.time_zone = zone;
  r.handover_weekday = weekday;
  r.handover_minute = minute;
  r.start_day = start_day;
  r.members = std::move(members);
  return r;
}

// The oracle: walks UTC in 15-minute steps, looks at the local wall clock of each step, and
// counts a hand-over the first time the local clock reaches (or jumps over) the hand-over time
// on the hand-over weekday, at most once per local date (a repeated hour does not count twice),
// from the start date on. No use of the implementation's own arithmetic.
struct Oracle {
  const config::Rota& r;
  const date::time_zone* zone = date::locate_zone(r.time_zone);
  int64_t handovers = 0;
  int64_t last_counted_day = INT64_MIN;
  std::optional<date::local_seconds> previous;

  void step(OncallTime t) {
    const auto local = zone->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    const auto day = date::floor<date::days>(local);
    const date::local_seconds handover = day + std::chrono::minutes(r.handover_minute);
    const bool right_day = date::weekday(day).iso_encoding() == static_cast<unsigned>(r.handover_weekday + 1);
    const int64_t n = day.time_since_epoch().count();
    if (previous && right_day && n >= r.start_day && n != last_counted_day && *previous < handover &&
        handover <= local) {
      ++handovers;
      last_counted_day = n;
    }
    previous = local;
  }
  std::optional<std::string> member() const {
    if (handovers == 0) return std::nullopt;
    return r.members[static_cast<size_t>((handovers - 1) % static_cast<int64_t>(r.members.size()))];
  }
};

void check_against_oracle(const config::Rota& r) {
  SCOPED_TRACE(r.time_zone);
  Oracle oracle{r, date::locate_zone(r.time_zone), 0, INT64_MIN, std::nullopt};
  const OncallTime from = at("2025-12-30T00:00:00Z"), to = at("2027-01-10T00:00:00Z");
  int compared = 0, changes = 0;
  std::optional<std::string> last;
  for (OncallTime t = from; t < to; t += 15min) {
    oracle.step(t);
    const auto got = on_call(r, t);
    ASSERT_EQ(got, oracle.member()) << config::rfc3339(t);
    if (got != last) ++changes;
    last = got;
    ++compared;
  }
  EXPECT_GT(compared, 35000);
  EXPECT_GE(changes, 52);  // a hand-over every week of the year (plus the first turn)
}

TEST(OncallRota, MatchesTheOracleOverAYearAcrossDstInSeveralZones) {
  // London: a Sunday 01:30 hand-over falls in the spring-forward gap (29 Mar 2026) and in the
  // repeated hour (25 Oct 2026).
  check_against_oracle(rota("Europe/London", 6, 90, {"alice", "bob", "carol"}));
  // Lord Howe: a 30-minute DST change at 02:00; a Sunday 02:15 hand-over is in the gap (Oct) and
  // in the repeated half-hour (Apr).
  check_against_oracle(rota("Australia/Lord_Howe", 6, 2 * 60 + 15, {"alice", "bob"}));
  // Kathmandu: +05:45, no DST.
  check_against_oracle(rota("Asia/Kathmandu", 0, 9 * 60, {"alice", "bob", "carol", "dave"}));
  // New York: Monday 09:00, start mid-week (the first turn begins the Monday after).
  check_against_oracle(rota("America/New_York", 0, 9 * 60, {"alice", "bob"}, day_number(2026, 1, 7)));
}

TEST(OncallRota, MondayNineStaysNineLocalAcrossDst) {
  auto r = rota("Europe/London", 0, 9 * 60, {"alice", "bob"}, day_number(2026, 1, 5));
  // Winter: 09:00 GMT = 09:00Z. Summer: 09:00 BST = 08:00Z.
  EXPECT_EQ(handover_at(r, 0), at("2026-01-05T09:00:00Z"));
  EXPECT_EQ(handover_at(r, 11), at("2026-03-23T09:00:00Z"));
  EXPECT_EQ(handover_at(r, 12), at("2026-03-30T08:00:00Z"));  // the day after the change
  // The turn spanning the spring change (Sun 29 Mar) is an hour shorter.
  EXPECT_EQ(handover_at(r, 12) - handover_at(r, 11), 167h);
  // At 08:30Z on Monday 30 March it is 09:30 BST: bob's turn 12 has begun (alice had turn 11).
  EXPECT_EQ(on_call(r, at("2026-03-30T07:59:59Z")), "bob");  // turn 11 (odd): bob
  EXPECT_EQ(on_call(r, at("2026-03-30T08:00:00Z")), "alice");
  // Autumn: the change is Sun 25 Oct; Monday 26 Oct 09:00 GMT = 09:00Z.
  EXPECT_EQ(handover_at(r, 42), at("2026-10-26T09:00:00Z"));
  EXPECT_EQ(handover_at(r, 42) - handover_at(r, 41), 169h);
  // Before the first hand-over nobody is on call.
  EXPECT_EQ(on_call(r, at("2026-01-05T08:59:59Z")), std::nullopt);
  EXPECT_EQ(turn_at(r, at("2026-01-05T09:00:00Z")), 0);
}

TEST(OncallRota, HandOverInTheGapOrTheRepeatedHour) {
  auto r = rota("Europe/London", 6, 90, {"alice", "bob"}, day_number(2026, 3, 1));
  // 29 Mar 2026: 01:30 local does not exist (01:00 GMT -> 02:00 BST at 01:00Z): the end of the gap.
  EXPECT_EQ(handover_at(r, 4), at("2026-03-29T01:00:00Z"));
  // 25 Oct 2026: 01:30 happens twice (00:30Z BST, 01:30Z GMT): the first.
  EXPECT_EQ(handover_at(r, 34), at("2026-10-25T00:30:00Z"));
  EXPECT_EQ(on_call(r, at("2026-10-25T00:29:00Z")), "bob");
  EXPECT_EQ(on_call(r, at("2026-10-25T01:45:00Z")), "alice");  // the second 01:45 changes nothing
}

TEST(OncallRota, OverrideTakesPrecedenceAndTheLaterListedWins) {
  auto r = rota("Europe/Berlin", 0, 9 * 60, {"alice", "bob"}, day_number(2026, 1, 5));
  // Week of Mon 2 Mar 2026 is turn 8: alice. Carol (not in the rotation) covers Wed 12:00 to
  // Thu 12:00 local; dave covers Wed 18:00-20:00 within it (listed later: wins).
  r.overrides.push_back({"carol", at("2026-03-04T11:00:00Z"), at("2026-03-05T11:00:00Z")});
  r.overrides.push_back({"dave", at("2026-03-04T17:00:00Z"), at("2026-03-04T19:00:00Z")});
  EXPECT_EQ(on_call(r, at("2026-03-04T10:59:00Z")), "alice");
  EXPECT_EQ(on_call(r, at("2026-03-04T11:00:00Z")), "carol");
  EXPECT_EQ(on_call(r, at("2026-03-04T18:00:00Z")), "dave");
  EXPECT_EQ(on_call(r, at("2026-03-04T19:00:00Z")), "carol");
  EXPECT_EQ(on_call(r, at("2026-03-05T11:00:00Z")), "alice");
  EXPECT_EQ(on_call(r, at("2026-03-09T08:00:00Z")), "bob");  // Mon 09:00 CET: the hand-over

  RotaView v = rota_view(r, at("2026-03-04T10:00:00Z"));
  EXPECT_EQ(v.now.member, "alice");
  EXPECT_EQ(v.now.from, at("2026-03-02T08:00:00Z"));
  EXPECT_EQ(v.now.to, at("2026-03-04T11:00:00Z"));
  ASSERT_TRUE(v.next);
  EXPECT_EQ(v.next->member, "carol");
  EXPECT_TRUE(v.next->override_);
  EXPECT_EQ(v.next->to, at("2026-03-04T17:00:00Z"));
  EXPECT_EQ(v.next_handover, at("2026-03-09T08:00:00Z"));

  // An override that covers a hand-over: the rotation resumes with whoever's turn it is then.
  r.overrides = {{"carol", at("2026-03-08T12:00:00Z"), at("2026-03-10T12:00:00Z")}};
  EXPECT_EQ(on_call(r, at("2026-03-09T09:00:00Z")), "carol");
  v = rota_view(r, at("2026-03-09T09:00:00Z"));
  EXPECT_EQ(v.now.from, at("2026-03-08T12:00:00Z"));
  EXPECT_EQ(v.now.to, at("2026-03-10T12:00:00Z"));
  ASSERT_TRUE(v.next);
  EXPECT_EQ(v.next->member, "bob");
}

TEST(OncallRota, JsonViewForTheCli) {
  config::OncallSettings o;
  o.members = {{"alice", "Alice A", {}}, {"bob", "Bob B", {}}};
  o.rotas.push_back(rota("Asia/Kathmandu", 0, 9 * 60, {"alice", "bob"}, day_number(2026, 1, 5)));
  auto j = oncall_json(o, at("2026-03-04T00:00:00Z"));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["now"]["member"], "alice");
  EXPECT_EQ(j[0]["now"]["name"], "Alice A");
  EXPECT_EQ(j[0]["next"]["member"], "bob");
  // Monday 9 March 09:00 +05:45 = 03:15Z.
  EXPECT_EQ(j[0]["handover"], "2026-03-09T03:15:00.000Z");
  EXPECT_EQ(j[0]["handover_local"], "2026-03-09 09:00 Mon");
  EXPECT_EQ(j[0]["now"]["until"], j[0]["handover"]);
}

TEST(OncallEscalation, StepsLoopsAndStateRoundTrip) {
  config::Escalation e;
  e.steps = {{0min, "rota:primary"}, {15min, "rota:secondary"}, {30min, "member:carol"}};
  e.repeat = 1;
  e.repeat_after = 45min;
  const OncallTime t0 = at("2026-03-04T02:00:00Z");
  auto s = EscalationState::begin(e, t0);
  std::vector<OncallTime> dues;
  while (s.due) {
    dues.push_back(*s.due);
    auto copy = EscalationState::from_json(s.to_json());  // what a restart reads back
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->due, s.due);
    EXPECT_EQ(copy->loop, s.loop);
    EXPECT_EQ(copy->step, s.step);
    s = *copy;
    s.advance();
  }
  EXPECT_EQ(dues, (std::vector<OncallTime>{t0, t0 + 15min, t0 + 30min, t0 + 45min, t0 + 60min, t0 + 75min}));
}

}  // namespace
}  // namespace lookout::alerting
