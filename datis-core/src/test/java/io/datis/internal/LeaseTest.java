package io.datis.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LeaseTest {

  @Test
  void holdsForItsDurationFromTheConfirmationThatGrantedIt() {
    long now = System.nanoTime();

    assertThat(Lease.grantedAt(now).holds()).isTrue();
    assertThat(Lease.grantedAt(now - Lease.DURATION.toNanos() - 1).holds()).isFalse();
  }

  @Test
  void aRenewalCountsFromWhenItsCheckBeganAndNeverShortensTheLease() {
    long now = System.nanoTime();
    Lease lease = Lease.grantedAt(now - Lease.DURATION.toNanos() - 1);

    lease.renew(now);
    assertThat(lease.holds()).isTrue();

    lease.renew(now - Lease.DURATION.toNanos() - 1); // a check that began earlier, answered late
    assertThat(lease.holds()).as("an older confirmation does not take time away").isTrue();
  }

  @Test
  void aRevokedLeaseNeverHoldsAgain() {
    Lease lease = Lease.unlimited();
    assertThat(lease.holds()).isTrue();

    lease.revoke();
    lease.renew(System.nanoTime());

    assertThat(lease.holds()).isFalse();
    assertThat(lease.isRevoked()).isTrue();
  }
}
