/** Output containers ffmpeg merges into. */
export const CONTAINERS = ['mp4', 'mkv'] as const;
export type Container = (typeof CONTAINERS)[number];

/** "best", "worst", or a height such as "720p": the best variant not above it. */
export type QualityPreference = string;

/** Suffix of a file still being written, locally or at a destination; final names leave room for it. */
export const PART_SUFFIX = '.part';
