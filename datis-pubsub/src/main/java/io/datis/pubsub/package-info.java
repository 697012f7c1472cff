/**
 * The Google Cloud Pub/Sub sink. Work in progress: the sink itself arrives in a later release.
 */
@NullMarked
package io.datis.pubsub;

import org.jspecify.annotations.NullMarked;
