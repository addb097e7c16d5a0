// SlaClock: due instants, pauses, re-targets and outcomes, against hand-computed UTC times.
// The calendar is Europe/London office hours, Monday to Friday 09:00-17:00; in June 2026
// London is on BST (UTC+1), so 09:00 local is 08:00 UTC. Monday 1 June 2026 starts the week.
#include "alerting/sla_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

namespace lookout::alerting {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

TimePoint utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return date::sys_days{date::year{y} / mo / d} + hours{h} + minutes{mi};
}
// Local London wall time in June 2026 (BST).
TimePoint bst(unsigned day, int h, int mi = 0) { return utc(2026, 6, day, h - 1, mi); }

std::string show(std::optional<TimePoint> t) {
  if (!t) return "none";
  return date::format("%F %T UTC", date::floor<std::chrono::seconds>(*t));
}

std::shared_ptr<const BusinessCalendar> london_office() {
  config::BusinessHours h;
  h.timezone = "Europe/London";
  for (int d = 0; d < 5; ++d) h.week[d].push_back({9 * 60, 17 * 60});
  return std::make_shared<const BusinessCalendar>(h);
}

// The client's contract, as config/ loads it.
config::Contract contract() {
  config::Contract c;
  c.tier = "gold";
  c.sla["P1"] = {hours{1}, hours{4}};
  c.sla["P3"] = {hours{8}, hours{24}};
  return c;
}

SlaClock resolution_clock(TimePoint start, const std::string& priority) {
  return SlaClock(start, contract().sla.at(priority).resolution, TimeBasis::business_hours,
                  london_office());
}

TEST(SlaClockTest, DueCountsBusinessHours) {
  const SlaClock clock = resolution_clock(bst(1, 10), "P1");  // Monday 10:00, 4 h
  EXPECT_EQ(show(clock.due()), show(bst(1, 14)));
  EXPECT_EQ(clock.elapsed(bst(1, 12)), hours{2});
  EXPECT_EQ(clock.elapsed(bst(2, 9, 30)), hours{7} + minutes{30});
  EXPECT_FALSE(clock.breached(bst(1, 14)));  // reaching the target is not breaching it
  EXPECT_TRUE(clock.breached(bst(1, 14) + milliseconds{1}));
  EXPECT_EQ(show(clock.breached_at(bst(2, 10))), show(bst(1, 14)));
  // 24 business hours from Monday 10:00 is Thursday 10:00.
  EXPECT_EQ(show(resolution_clock(bst(1, 10), "P3").due()), show(bst(4, 10)));
}

TEST(SlaClockTest, TicketOpenedOnWeekendStartsAtNextOpening) {
  const SlaClock clock = resolution_clock(bst(6, 10), "P1");  // Saturday 10:00
  EXPECT_EQ(show(clock.due()), show(bst(8, 13)));              // Monday 13:00
  EXPECT_EQ(clock.elapsed(bst(8, 9)), hours{0});
  EXPECT_FALSE(clock.breached(bst(8, 12)));
}

TEST(SlaClockTest, PauseAndResumeShiftDue) {
  SlaClock clock = resolution_clock(bst(1, 10), "P1");  // due Monday 14:00
  ASSERT_TRUE(clock.pause(bst(1, 11)));                  // on hold after 1 h
  EXPECT_TRUE(clock.paused());
  EXPECT_EQ(clock.due(), std::nullopt);
  EXPECT_EQ(clock.elapsed(bst(2, 12)), hours{1});  // frozen while on hold
  EXPECT_FALSE(clock.breached(bst(2, 12)));          // past the old due, but on hold
  ASSERT_TRUE(clock.resume(bst(2, 10)));             // Tuesday 10:00: 3 h left
  EXPECT_EQ(show(clock.due()), show(bst(2, 13)));
  EXPECT_EQ(clock.elapsed(bst(2, 12)), hours{3});

  // On hold only outside business hours changes nothing.
  SlaClock night = resolution_clock(bst(1, 10), "P3");  // due Thursday 10:00
  ASSERT_TRUE(night.pause(bst(1, 18)));
  ASSERT_TRUE(night.resume(bst(2, 8)));
  EXPECT_EQ(show(night.due()), show(bst(4, 10)));
}

TEST(SlaClockTest, RetargetFromStartIncludesTimeAlreadySpent) {
  SlaClock clock = resolution_clock(bst(1, 10), "P3");  // 24 h: due Thursday 10:00
  ASSERT_TRUE(clock.retarget(bst(1, 12), contract().sla.at("P1").resolution));  // P3 -> P1
  EXPECT_EQ(clock.target(), hours{4});
  EXPECT_EQ(show(clock.due()), show(bst(1, 14)));  // from the start, not from 12:00
  EXPECT_FALSE(clock.breached(bst(1, 12)));
  EXPECT_EQ(clock.elapsed(bst(1, 13)), hours{3});
  EXPECT_TRUE(clock.breached(bst(1, 15)));
  EXPECT_EQ(show(clock.breached_at(bst(1, 15))), show(bst(1, 14)));
}

TEST(SlaClockTest, RetargetAfterDuePassedRecordsBreachAtTheUpdate) {
  SlaClock clock = resolution_clock(bst(1, 10), "P3");
  // Tuesday 11:00: 9 business hours spent; the new 4 h target passed on Monday 14:00.
  ASSERT_TRUE(clock.retarget(bst(2, 11), hours{4}));
  EXPECT_EQ(show(clock.due()), show(bst(1, 14)));  // the due instant itself is not rewritten
  EXPECT_TRUE(clock.breached(bst(2, 11)));
  EXPECT_EQ(show(clock.breached_at(bst(2, 11))), show(bst(2, 11)));  // not back-dated
  ASSERT_TRUE(clock.fulfil(bst(2, 12)));
  const std::optional<SlaOutcome> out = clock.outcome();
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->met);
  EXPECT_EQ(out->by, hours{6});  // 10 h spent against 4 h
  EXPECT_EQ(show(out->breached_at), show(bst(2, 11)));
  EXPECT_EQ(show(out->fulfilled_at), show(bst(2, 12)));

  // Without the retarget a 4 h clock records its breach at the due instant.
  SlaClock p1 = resolution_clock(bst(1, 10), "P1");
  EXPECT_EQ(show(p1.breached_at(bst(2, 11))), show(bst(1, 14)));
}

TEST(SlaClockTest, LooserRetargetClearsTheBreach) {
  SlaClock clock = resolution_clock(bst(1, 10), "P1");
  EXPECT_TRUE(clock.breached(bst(1, 15)));
  ASSERT_TRUE(clock.retarget(bst(1, 15), hours{24}));  // P1 -> P3
  EXPECT_FALSE(clock.breached(bst(1, 15)));
  EXPECT_EQ(show(clock.due()), show(bst(4, 10)));
}

TEST(SlaClockTest, RetargetWhilePaused) {
  SlaClock clock = resolution_clock(bst(1, 10), "P3");
  ASSERT_TRUE(clock.pause(bst(1, 11)));
  ASSERT_TRUE(clock.retarget(bst(1, 12), hours{2}));
  EXPECT_EQ(clock.due(), std::nullopt);
  EXPECT_FALSE(clock.breached(bst(1, 16)));
  ASSERT_TRUE(clock.resume(bst(2, 9)));
  EXPECT_EQ(show(clock.due()), show(bst(2, 10)));
}

TEST(SlaClockTest, MetAndBreachedAmounts) {
  SlaClock early = resolution_clock(bst(1, 10), "P1");
  ASSERT_TRUE(early.fulfil(bst(1, 13, 30)));
  ASSERT_TRUE(early.outcome());
  EXPECT_TRUE(early.outcome()->met);
  EXPECT_EQ(early.outcome()->by, minutes{30});
  EXPECT_EQ(early.outcome()->breached_at, std::nullopt);
  EXPECT_EQ(early.due(), std::nullopt);  // a fulfilled clock has no due instant

  SlaClock on_time = resolution_clock(bst(1, 10), "P1");
  ASSERT_TRUE(on_time.fulfil(bst(1, 14)));
  EXPECT_TRUE(on_time.outcome()->met);
  EXPECT_EQ(on_time.outcome()->by, milliseconds{0});

  SlaClock late = resolution_clock(bst(1, 10), "P1");
  ASSERT_TRUE(late.fulfil(bst(2, 10, 30)));
  EXPECT_FALSE(late.outcome()->met);
  EXPECT_EQ(late.outcome()->by, hours{4} + minutes{30});  // 8.5 h spent
  EXPECT_EQ(show(late.outcome()->breached_at), show(bst(1, 14)));
  EXPECT_FALSE(late.breached(bst(1, 13)));  // queries before the fulfilment still answer
  EXPECT_TRUE(late.breached(bst(9, 10)));   // and after it the outcome stays breached

  // Due at closing time (7 h from 10:00 = 17:00); solved at 18:00 after hours: breached by
  // zero business time, recorded at 17:00.
  SlaClock after_hours(bst(1, 10), hours{7}, TimeBasis::business_hours, london_office());
  EXPECT_EQ(show(after_hours.due()), show(bst(1, 17)));
  ASSERT_TRUE(after_hours.fulfil(bst(1, 18)));
  EXPECT_FALSE(after_hours.outcome()->met);
  EXPECT_EQ(after_hours.outcome()->by, milliseconds{0});
  EXPECT_EQ(show(after_hours.outcome()->breached_at), show(bst(1, 17)));
}

TEST(SlaClockTest, PauseExactlyAtDueHoldsTheBreachOff) {
  SlaClock clock = resolution_clock(bst(1, 10), "P1");
  ASSERT_TRUE(clock.pause(bst(1, 14)));
  EXPECT_FALSE(clock.breached(bst(2, 12)));
  ASSERT_TRUE(clock.resume(bst(2, 9)));
  EXPECT_EQ(show(clock.due()), show(bst(2, 9)));  // nothing left: due on resuming
  EXPECT_FALSE(clock.breached(bst(2, 9)));
  EXPECT_TRUE(clock.breached(bst(2, 9) + milliseconds{1}));
  EXPECT_EQ(show(clock.breached_at(bst(2, 10))), show(bst(2, 9)));
}

TEST(SlaClockTest, CalendarBasisIgnoresBusinessHours) {
  // 24x7: no calendar needed; a Saturday ticket's 4 h run on Saturday.
  SlaClock clock(utc(2026, 6, 6, 10), hours{4}, TimeBasis::calendar_24x7, nullptr);
  EXPECT_EQ(show(clock.due()), show(utc(2026, 6, 6, 14)));
  EXPECT_EQ(clock.elapsed(utc(2026, 6, 6, 12, 30)), hours{2} + minutes{30});
  ASSERT_TRUE(clock.pause(utc(2026, 6, 6, 11)));
  ASSERT_TRUE(clock.resume(utc(2026, 6, 6, 13)));
  EXPECT_EQ(show(clock.due()), show(utc(2026, 6, 6, 16)));
  EXPECT_TRUE(clock.breached(utc(2026, 6, 6, 16, 1)));
  // The same target in business hours is due on Monday.
  EXPECT_EQ(show(resolution_clock(utc(2026, 6, 6, 10), "P1").due()), show(bst(8, 13)));
  // A 24x7 calendar object gives the same answers as the calendar basis.
  SlaClock with_calendar(utc(2026, 6, 6, 10), hours{4}, TimeBasis::business_hours,
                         std::make_shared<const BusinessCalendar>(BusinessCalendar::around_the_clock()));
  EXPECT_EQ(show(with_calendar.due()), show(utc(2026, 6, 6, 14)));
}

TEST(SlaClockTest, EventsOutOfPlaceAreIgnored) {
  SlaClock clock = resolution_clock(bst(1, 10), "P1");
  EXPECT_FALSE(clock.resume(bst(1, 11)));  // not paused
  EXPECT_FALSE(clock.pause(bst(1, 9)));    // before the start
  ASSERT_TRUE(clock.pause(bst(1, 11)));
  EXPECT_FALSE(clock.pause(bst(1, 12)));   // already paused
  EXPECT_FALSE(clock.resume(bst(1, 10)));  // before the pause
  ASSERT_TRUE(clock.resume(bst(1, 12)));
  ASSERT_TRUE(clock.fulfil(bst(1, 13)));
  EXPECT_FALSE(clock.pause(bst(1, 14)));
  EXPECT_FALSE(clock.retarget(bst(1, 14), hours{1}));
  EXPECT_FALSE(clock.fulfil(bst(1, 15)));
  EXPECT_EQ(show(clock.outcome()->fulfilled_at), show(bst(1, 13)));
  EXPECT_EQ(clock.outcome()->by, hours{2});  // 2 h spent of 4 h
  EXPECT_THROW(SlaClock(bst(1, 10), hours{1}, TimeBasis::business_hours, nullptr),
               std::invalid_argument);
}

TEST(SlaClockTest, NeverOpeningCalendarHasNoDue) {
  config::BusinessHours closed;
  closed.timezone = "Europe/London";
  SlaClock clock(bst(1, 10), hours{4}, TimeBasis::business_hours,
                 std::make_shared<const BusinessCalendar>(closed));
  EXPECT_EQ(clock.due(), std::nullopt);
  EXPECT_FALSE(clock.breached(bst(30, 10)));
  EXPECT_EQ(clock.elapsed(bst(30, 10)), hours{0});
}

}  // namespace
}  // namespace lookout::alerting
