/* placeholder: being written */
typedef int ow_placeholder_community_id;
